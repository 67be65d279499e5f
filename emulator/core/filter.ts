import { badRequest } from './odata.js';

/**
 * A small OData `$filter` evaluator for the expressions clients send to directory and list
 * endpoints: comparisons, and/or/not, startswith/endswith/contains, and `coll/any(x:x eq 'v')`.
 */
type Token = { t: 'id' | 'str' | 'num' | 'op' | 'lp' | 'rp' | 'comma' | 'colon' | 'kw'; v: string };
type Value = string | number | boolean | null | undefined | unknown[];
type Expr = (row: Record<string, unknown>, vars?: Record<string, unknown>) => Value;

const KEYWORDS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'and', 'or', 'not', 'true', 'false', 'null']);

/**
 * Limits that keep a hostile `$filter` from exhausting the stack or the CPU (Graph refuses overly
 * complex queries with 400 as well; its exact limits are not documented).
 */
export const MAX_FILTER_TOKENS = 2000;
export const MAX_FILTER_DEPTH = 100;
const tooComplex = () =>
  badRequest('Invalid filter clause: the query is too complex (too many terms or nesting too deep).');

const DATE_LITERAL = /\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?(?=[\s)]|$)/y;
const WORD = /[-\w./@#]+/y;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    if (out.length > MAX_FILTER_TOKENS) throw tooComplex();
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      while (i < src.length) {
        if (src[i] === "'" && src[i + 1] === "'") {
          s += "'";
          i += 2;
        } else if (src[i] === "'") break;
        else s += src[i++];
      }
      if (src[i] !== "'") throw badRequest('Invalid filter clause: unterminated string literal.');
      i++;
      out.push({ t: 'str', v: s });
    } else if (c === '(') {
      out.push({ t: 'lp', v: c });
      i++;
    } else if (c === ')') {
      out.push({ t: 'rp', v: c });
      i++;
    } else if (c === ',') {
      out.push({ t: 'comma', v: c });
      i++;
    } else if (c === ':') {
      out.push({ t: 'colon', v: c });
      i++;
    } else {
      // Unquoted DateTimeOffset literals (receivedDateTime ge 2024-01-01T00:00:00Z) are strings.
      // Sticky regexes match at `i` without copying the rest of the input for every token.
      DATE_LITERAL.lastIndex = i;
      const date = DATE_LITERAL.exec(src);
      if (date) {
        out.push({ t: 'str', v: date[0] });
        i += date[0].length;
        continue;
      }
      WORD.lastIndex = i;
      const m = WORD.exec(src);
      if (!m) throw badRequest(`Invalid filter clause: unexpected '${c}'.`);
      const word = m[0];
      i += word.length;
      if (/^-?\d+(\.\d+)?$/.test(word)) out.push({ t: 'num', v: word });
      else if (KEYWORDS.has(word.toLowerCase())) out.push({ t: 'kw', v: word.toLowerCase() });
      else out.push({ t: 'id', v: word });
    }
  }
  return out;
}

function lookup(row: Record<string, unknown>, path: string, vars: Record<string, unknown> = {}): Value {
  const parts = path.split('/');
  // Own properties only: `constructor` or `__proto__` in a filter must not reach the prototype.
  const own = (o: unknown, k: string): unknown =>
    o && typeof o === 'object' && Object.hasOwn(o, k) ? (o as Record<string, unknown>)[k] : undefined;
  const head = parts[0] as string;
  let cur: unknown = Object.hasOwn(vars, head) ? vars[head] : own(row, head);
  for (const p of parts.slice(1)) cur = own(cur, p);
  return cur as Value;
}

function compare(a: Value, b: Value, op: string): boolean {
  const norm = (v: Value) => (typeof v === 'string' ? v.toLowerCase() : v);
  const x = norm(a);
  const y = norm(b);
  switch (op) {
    case 'eq':
      return x === y || (x == null && y == null);
    case 'ne':
      return !(x === y || (x == null && y == null));
    default: {
      if (x == null || y == null) return false;
      const [p, q] = [x as string | number, y as string | number];
      return op === 'gt' ? p > q : op === 'ge' ? p >= q : op === 'lt' ? p < q : p <= q;
    }
  }
}

/** What a compiled filter tests and what it uses (for services that restrict operators or properties). */
export interface CompiledFilter {
  test: (row: Record<string, unknown>) => boolean;
  /** Top-level property paths named (lambda variables excluded), as written. */
  properties: Set<string>;
  /** Operators and functions used, lower-case: `eq`, `ne`, `not`, `and`, `startswith`, `any`, … */
  operators: Set<string>;
}

export function compileFilter(src: string): (row: Record<string, unknown>) => boolean {
  return parseFilter(src).test;
}

export function parseFilter(src: string): CompiledFilter {
  const toks = tokenize(src);
  const properties = new Set<string>();
  const operators = new Set<string>();
  let pos = 0;
  let depth = 0;
  const peek = () => toks[pos];
  const next = () => {
    const t = toks[pos++];
    if (!t) throw badRequest('Invalid filter clause: unexpected end of expression.');
    return t;
  };
  const expect = (t: Token['t']) => {
    const tok = next();
    if (tok.t !== t) throw badRequest(`Invalid filter clause: expected ${t} near '${tok.v}'.`);
    return tok;
  };
  /** Runs a nested parse one level deeper; the depth bounds both parsing and evaluation recursion. */
  const nested = <T>(parse: () => T): T => {
    if (++depth > MAX_FILTER_DEPTH) throw tooComplex();
    try {
      return parse();
    } finally {
      depth--;
    }
  };
  const scopes: string[] = [];

  const parseOr = (): Expr => {
    let left = parseAnd();
    while (peek()?.v === 'or') {
      next();
      operators.add('or');
      const l = left;
      const r = parseAnd();
      left = (row, vars) => !!l(row, vars) || !!r(row, vars);
    }
    return left;
  };
  const parseAnd = (): Expr => {
    let left = parseUnary();
    while (peek()?.v === 'and') {
      next();
      operators.add('and');
      const l = left;
      const r = parseUnary();
      left = (row, vars) => !!l(row, vars) && !!r(row, vars);
    }
    return left;
  };
  const parseUnary = (): Expr => {
    if (peek()?.v === 'not') {
      next();
      operators.add('not');
      const e = nested(parseUnary);
      return (row, vars) => !e(row, vars);
    }
    return parseComparison();
  };
  const parseComparison = (): Expr => {
    const left = parsePrimary();
    const op = peek();
    if (op?.t === 'kw' && ['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op.v)) {
      next();
      operators.add(op.v);
      const right = parsePrimary();
      return (row, vars) => compare(left(row, vars), right(row, vars), op.v);
    }
    return left;
  };
  const parsePrimary = (): Expr => {
    const tok = next();
    if (tok.t === 'lp') {
      const e = nested(parseOr);
      expect('rp');
      return e;
    }
    if (tok.t === 'str') return () => tok.v;
    if (tok.t === 'num') return () => Number(tok.v);
    if (tok.t === 'kw' && tok.v === 'true') return () => true;
    if (tok.t === 'kw' && tok.v === 'false') return () => false;
    if (tok.t === 'kw' && tok.v === 'null') return () => null;
    if (tok.t !== 'id') throw badRequest(`Invalid filter clause: unexpected '${tok.v}'.`);
    const lambda = /^(.*)\/(any|all)$/i.exec(tok.v);
    if (lambda && peek()?.t === 'lp') {
      next();
      const variable = expect('id').v;
      expect('colon');
      const coll = lambda[1] as string;
      noteProperty(coll);
      const all = (lambda[2] as string).toLowerCase() === 'all';
      operators.add(all ? 'all' : 'any');
      scopes.push(variable);
      const body = nested(parseOr);
      scopes.pop();
      expect('rp');
      return (row, vars) => {
        const items = lookup(row, coll, vars);
        if (!Array.isArray(items)) return false;
        const test = (x: unknown) => !!body(row, { ...vars, [variable]: x });
        return all ? items.every(test) : items.some(test);
      };
    }
    if (peek()?.t === 'lp') {
      const fn = tok.v.toLowerCase();
      next();
      operators.add(fn);
      const args: Expr[] = [nested(parseOr)];
      while (peek()?.t === 'comma') {
        next();
        args.push(nested(parseOr));
      }
      expect('rp');
      const [a, b] = args as [Expr, Expr];
      const str = (v: Value) => (typeof v === 'string' ? v.toLowerCase() : '');
      if (fn === 'startswith') return (row, vars) => str(a(row, vars)).startsWith(str(b(row, vars)));
      if (fn === 'endswith') return (row, vars) => str(a(row, vars)).endsWith(str(b(row, vars)));
      if (fn === 'contains') return (row, vars) => str(a(row, vars)).includes(str(b(row, vars)));
      throw badRequest(`Invalid filter clause: unsupported function '${tok.v}'.`);
    }
    noteProperty(tok.v);
    return (row, vars) => lookup(row, tok.v, vars);
  };
  function noteProperty(path: string): void {
    const head = path.split('/')[0] as string;
    if (!scopes.includes(head)) properties.add(path);
  }

  const expr = parseOr();
  if (pos !== toks.length) throw badRequest(`Invalid filter clause: unexpected '${toks[pos]?.v}'.`);
  return { test: (row) => !!expr(row), properties, operators };
}
