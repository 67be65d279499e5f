import { badRequest } from './odata.js';

/**
 * A small OData `$filter` evaluator for the expressions clients send to directory and list
 * endpoints: comparisons, and/or/not, startswith/endswith/contains, and `coll/any(x:x eq 'v')`.
 */
type Token = { t: 'id' | 'str' | 'num' | 'op' | 'lp' | 'rp' | 'comma' | 'colon' | 'kw'; v: string };
type Value = string | number | boolean | null | undefined | unknown[];
type Expr = (row: Record<string, unknown>, vars?: Record<string, unknown>) => Value;

const KEYWORDS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'and', 'or', 'not', 'true', 'false', 'null']);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
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
      const date = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?(?=[\s)]|$)/.exec(
        src.slice(i),
      );
      if (date) {
        out.push({ t: 'str', v: date[0] });
        i += date[0].length;
        continue;
      }
      const m = /^[-\w./@#]+/.exec(src.slice(i));
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
  let cur: unknown = parts[0] !== undefined && parts[0] in vars ? vars[parts[0]] : row[parts[0] as string];
  for (const p of parts.slice(1))
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
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

export function compileFilter(src: string): (row: Record<string, unknown>) => boolean {
  const toks = tokenize(src);
  let pos = 0;
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

  const parseOr = (): Expr => {
    let left = parseAnd();
    while (peek()?.v === 'or') {
      next();
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
      const l = left;
      const r = parseUnary();
      left = (row, vars) => !!l(row, vars) && !!r(row, vars);
    }
    return left;
  };
  const parseUnary = (): Expr => {
    if (peek()?.v === 'not') {
      next();
      const e = parseUnary();
      return (row, vars) => !e(row, vars);
    }
    return parseComparison();
  };
  const parseComparison = (): Expr => {
    const left = parsePrimary();
    const op = peek();
    if (op?.t === 'kw' && ['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op.v)) {
      next();
      const right = parsePrimary();
      return (row, vars) => compare(left(row, vars), right(row, vars), op.v);
    }
    return left;
  };
  const parsePrimary = (): Expr => {
    const tok = next();
    if (tok.t === 'lp') {
      const e = parseOr();
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
      const body = parseOr();
      expect('rp');
      const coll = lambda[1] as string;
      const all = (lambda[2] as string).toLowerCase() === 'all';
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
      const args: Expr[] = [parseOr()];
      while (peek()?.t === 'comma') {
        next();
        args.push(parseOr());
      }
      expect('rp');
      const [a, b] = args as [Expr, Expr];
      const str = (v: Value) => (typeof v === 'string' ? v.toLowerCase() : '');
      if (fn === 'startswith') return (row, vars) => str(a(row, vars)).startsWith(str(b(row, vars)));
      if (fn === 'endswith') return (row, vars) => str(a(row, vars)).endsWith(str(b(row, vars)));
      if (fn === 'contains') return (row, vars) => str(a(row, vars)).includes(str(b(row, vars)));
      throw badRequest(`Invalid filter clause: unsupported function '${tok.v}'.`);
    }
    return (row, vars) => lookup(row, tok.v, vars);
  };

  const expr = parseOr();
  if (pos !== toks.length) throw badRequest(`Invalid filter clause: unexpected '${toks[pos]?.v}'.`);
  return (row) => !!expr(row);
}
