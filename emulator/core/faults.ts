import type { EmuRequest } from './types.js';

/**
 * Faults the emulator can inject. Random ones (`--faults RATE`) are what a client meets on the
 * real service now and then; scripted ones (`POST /_emulator/faults`) let tests aim a specific
 * malformed answer at a specific request.
 */
export type FaultKind =
  /** An error status with Graph's error body (`status`, optional `code`, `retryAfterSeconds`). */
  | 'status'
  /** Headers and part of the body are sent, then the connection is destroyed. */
  | 'reset'
  /** The answer is delayed by `delayMs` (modelled, scaled by --time-scale). */
  | 'slow'
  /** A complete HTTP response whose JSON body is cut in half. */
  | 'truncate'
  /** An HTML error page, as a proxy or gateway answers, with `status`. */
  | 'html'
  /** 200 OK whose body is a Graph error object. */
  | 'error-in-200'
  /** The page's `@odata.nextLink` points back at the same page. */
  | 'loop-next-link'
  /** A delta request is answered as if its token had expired. */
  | 'expire-delta';

export interface FaultSpec {
  kind: FaultKind;
  status?: number;
  code?: string;
  retryAfterSeconds?: number;
  delayMs?: number;
}

export interface ScriptedFault extends FaultSpec {
  method?: string;
  /** Regular expression tested against the request path and query (e.g. `/messages\\?`). */
  path: string;
  /** How many matching requests get the fault (default 1). */
  count?: number;
}

interface ArmedFault extends FaultSpec {
  method?: string;
  regex: RegExp;
  remaining: number;
}

export class FaultInjector {
  private scripted: ArmedFault[] = [];

  constructor(
    private readonly rate: number,
    private readonly random: () => number,
  ) {}

  script(fault: ScriptedFault): void {
    this.scripted.push({ ...fault, regex: new RegExp(fault.path), remaining: fault.count ?? 1 });
  }

  clear(): void {
    this.scripted = [];
  }

  /** The fault for this request, if any; scripted faults first, then the random rate. */
  pick(req: EmuRequest, isDelta: boolean): FaultSpec | undefined {
    const target = `${req.rawPath}${req.query.size ? `?${req.query.toString()}` : ''}`;
    let decodedTarget = target;
    try {
      decodedTarget = decodeURIComponent(target);
    } catch {
      // malformed percent-encoding: match against the raw target only
    }
    for (const f of this.scripted) {
      if (f.remaining <= 0) continue;
      if (f.method && f.method !== req.method) continue;
      if (!f.regex.test(target) && !f.regex.test(decodedTarget)) continue;
      f.remaining--;
      this.scripted = this.scripted.filter((x) => x.remaining > 0);
      return f;
    }
    if (this.rate <= 0 || this.random() >= this.rate) return undefined;
    const r = this.random();
    if (isDelta && r < 0.1) return { kind: 'expire-delta' };
    if (r < 0.35) return { kind: 'status', status: this.random() < 0.5 ? 500 : 502 };
    if (r < 0.5) return { kind: 'status', status: 503, retryAfterSeconds: 1 + Math.floor(this.random() * 3) };
    if (r < 0.6) return { kind: 'status', status: 504 };
    if (r < 0.8) return { kind: 'reset' };
    return { kind: 'slow', delayMs: 2000 + this.random() * 3000 };
  }
}
