import type { RouteDef } from './types.js';

interface CompiledRoute {
  def: RouteDef;
  regex: RegExp;
  names: string[];
  /** Routes with fewer parameters win ties, so literal segments beat `{id}`. */
  specificity: number;
}

export interface RouteMatch {
  def: RouteDef;
  params: Record<string, string>;
  apiVersion: string;
}

function compile(def: RouteDef): CompiledRoute {
  const names: string[] = [];
  let specificity = 0;
  const source = def.path.replace(/[.+?^$()|[\]\\]|\{(\w+)(\*)?\}/g, (m, name: string | undefined, star) => {
    if (!name) return `\\${m}`;
    names.push(name);
    specificity += star ? 100 : 1;
    return star ? '([^:]+?)' : '([^/]+)';
  });
  return { def, regex: new RegExp(`^${source}/?$`), names, specificity };
}

/** Path-pattern router. Graph routes live under `/v1.0` and `/beta`; others are matched as-is. */
export class Router {
  private readonly graph = new Map<string, CompiledRoute[]>();
  private readonly plain: CompiledRoute[] = [];

  addGraph(defs: readonly RouteDef[]): void {
    for (const def of defs) {
      const compiled = compile(def);
      for (const v of def.versions ?? ['v1.0', 'beta']) {
        const list = this.graph.get(v) ?? [];
        list.push(compiled);
        list.sort((a, b) => a.specificity - b.specificity);
        this.graph.set(v, list);
      }
    }
  }

  addPlain(defs: readonly RouteDef[]): void {
    for (const def of defs) this.plain.push(compile(def));
  }

  /** Finds the route; `methodMismatch` tells 405 from 404. */
  match(method: string, rawPath: string): RouteMatch | { methodMismatch: boolean } {
    const versionMatch = /^\/(v1\.0|beta)(\/.*)?$/.exec(rawPath);
    const [candidates, path, apiVersion] = versionMatch
      ? [this.graph.get(versionMatch[1] as string) ?? [], versionMatch[2] ?? '/', versionMatch[1] as string]
      : [this.plain, rawPath, ''];
    let methodMismatch = false;
    for (const route of candidates) {
      const m = route.regex.exec(path);
      if (!m) continue;
      if (route.def.method !== method) {
        methodMismatch = true;
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = safeDecode(m[i + 1] as string);
      });
      return { def: route.def, params, apiVersion };
    }
    return { methodMismatch };
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
