import { invalidQuery } from './sp-format.js';

/**
 * Parsing SharePoint REST paths: `{site path}/_api/{segments}`, where a segment is a name with an
 * optional argument list — `lists(guid'…')`, `items(3)`, `AttachmentFiles('a.txt')`,
 * `GetFileByServerRelativePath(decodedurl='/sites/x/…')`. Names are case-insensitive, as
 * SharePoint's are; string literals double their quotes (OData). Only the operations on list item
 * attachments are recognised (`Operation`); anything else is reported as not emulated.
 */

export type Literal = { kind: 'string' | 'guid' | 'number'; value: string };

export interface Segment {
  /** Lower-case name (`lists`, `items`, `$value`, …). */
  name: string;
  /** Positional arguments, or named ones (lower-case keys) for `key=value` lists. */
  args: Literal[];
  named: Record<string, Literal>;
  /** Whether the segment had an argument list at all. */
  call: boolean;
}

export type ListRef = { by: 'id'; id: string } | { by: 'title'; title: string } | { by: 'url'; url: string };

export type Operation =
  | { kind: 'attachments'; list: ListRef; item: number }
  | { kind: 'attachment'; list: ListRef; item: number; name: string; value: boolean }
  | { kind: 'add'; list: ListRef; item: number; name: string }
  | { kind: 'file'; url: string; value: boolean };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Splits `{site path}/_api/{rest}` (still percent-encoded) into the site's path and the rest, decoded. */
export function splitApiPath(rawPath: string): { sitePath: string; rest: string } | undefined {
  const m = /^(.*?)\/_api(?:\/(.*))?$/i.exec(rawPath);
  if (!m) return undefined;
  try {
    return { sitePath: decodeURIComponent(m[1] ?? ''), rest: decodeURIComponent(m[2] ?? '') };
  } catch {
    return undefined;
  }
}

function literal(raw: string, whole: string): Literal {
  const s = raw.trim();
  const quoted = /^(guid)?'((?:[^']|'')*)'$/i.exec(s);
  if (quoted) {
    const value = (quoted[2] ?? '').replace(/''/g, "'");
    if (quoted[1]) {
      if (!GUID.test(value)) throw notValid(whole);
      return { kind: 'guid', value: value.toLowerCase() };
    }
    return { kind: 'string', value };
  }
  if (/^-?\d+$/.test(s)) return { kind: 'number', value: s };
  throw notValid(whole);
}

const notValid = (whole: string) => invalidQuery(`The expression "${whole}" is not valid.`);

/** Splits on `sep` outside quotes and parentheses. */
function splitTop(s: string, sep: string, whole: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "'") quoted = !quoted;
    else if (quoted) continue;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === sep && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) throw notValid(whole);
  }
  if (quoted || depth !== 0) throw notValid(whole);
  out.push(s.slice(start));
  return out;
}

export function parseSegments(rest: string): Segment[] {
  return splitTop(rest.replace(/\/+$/, ''), '/', rest).map((raw) => {
    const m = /^([^()]*)(?:\((.*)\))?$/s.exec(raw);
    if (!m || !m[1]) throw notValid(rest);
    const seg: Segment = { name: m[1].toLowerCase(), args: [], named: {}, call: m[2] !== undefined };
    const inner = (m[2] ?? '').trim();
    if (!inner) return seg;
    for (const part of splitTop(inner, ',', rest)) {
      const eq = /^\s*([A-Za-z_]\w*)\s*=(.*)$/s.exec(part);
      if (eq) seg.named[(eq[1] as string).toLowerCase()] = literal(eq[2] as string, rest);
      else seg.args.push(literal(part, rest));
    }
    return seg;
  });
}

/** A single argument: positional, or the named one a `…UsingPath`/`…AsPath` form takes. */
function arg(seg: Segment, kind: Literal['kind'] | 'id', key?: string): string | undefined {
  const v = key ? (seg.named[key] ?? (seg.args.length === 1 ? seg.args[0] : undefined)) : seg.args[0];
  if (!v || (key === undefined && seg.args.length !== 1)) return undefined;
  if (kind === 'id')
    return v.kind === 'guid' || (v.kind === 'string' && GUID.test(v.value)) ? v.value : undefined;
  return v.kind === kind ? v.value : undefined;
}

/**
 * The attachment operation a path names, or undefined for any other SharePoint REST resource.
 * Malformed literals (a bad guid, an unquoted name) are SharePoint's 400.
 */
export function parseOperation(rest: string): Operation | undefined {
  const segs = parseSegments(rest);
  const bad = () => notValid(rest);
  let i = 0;
  const at = (n: number) => segs[i + n];
  if (at(0)?.name !== 'web' || at(0)?.call) return undefined;
  i++;
  const head = at(0);
  if (!head) return undefined;
  if (head.name === 'getfilebyserverrelativeurl' || head.name === 'getfilebyserverrelativepath') {
    const url = arg(head, 'string', head.name.endsWith('path') ? 'decodedurl' : undefined);
    if (url === undefined) throw bad();
    const tail = segs.slice(i + 1).map((s) => s.name);
    if (tail.length === 0) return { kind: 'file', url, value: false };
    return tail.length === 1 && tail[0] === '$value' ? { kind: 'file', url, value: true } : undefined;
  }
  let list: ListRef | undefined;
  if (head.name === 'lists' && head.call) {
    const id = arg(head, 'guid');
    if (!id) throw bad();
    list = { by: 'id', id };
    i++;
  } else if (head.name === 'lists' && (at(1)?.name === 'getbytitle' || at(1)?.name === 'getbyid')) {
    const by = at(1) as Segment;
    const value = by.name === 'getbyid' ? arg(by, 'id') : arg(by, 'string');
    if (value === undefined) throw bad();
    list = by.name === 'getbyid' ? { by: 'id', id: value.toLowerCase() } : { by: 'title', title: value };
    i += 2;
  } else if (head.name === 'getlist' || head.name === 'getlistusingpath') {
    const url = arg(head, 'string', head.name === 'getlistusingpath' ? 'decodedurl' : undefined);
    if (url === undefined) throw bad();
    list = { by: 'url', url };
    i++;
  } else return undefined;

  let item: string | undefined;
  if (at(0)?.name === 'items' && at(0)?.call) {
    item = arg(at(0) as Segment, 'number');
    i++;
  } else if (at(0)?.name === 'items' && at(1)?.name === 'getbyid') {
    item = arg(at(1) as Segment, 'number');
    i += 2;
  } else return undefined;
  if (item === undefined || Number(item) < 0) throw bad();
  const itemId = Number(item);

  const files = at(0);
  if (files?.name !== 'attachmentfiles') return undefined;
  let name: string | undefined;
  if (files.call) {
    name = arg(files, 'string');
    if (name === undefined) throw bad();
    i++;
  } else {
    i++;
    const by = at(0);
    if (!by) return { kind: 'attachments', list, item: itemId };
    const key = by.name === 'getbyfilenameaspath' || by.name === 'addusingpath' ? 'decodedurl' : undefined;
    if (by.name === 'add' || by.name === 'addusingpath') {
      const n = arg(by, 'string', by.name === 'add' ? 'filename' : key);
      if (n === undefined || segs.length > i + 1) throw bad();
      return { kind: 'add', list, item: itemId, name: n };
    }
    if (by.name !== 'getbyfilename' && by.name !== 'getbyfilenameaspath') return undefined;
    name = arg(by, 'string', key);
    if (name === undefined) throw bad();
    i++;
  }
  const tail = segs.slice(i).map((s) => s.name);
  if (tail.length === 0) return { kind: 'attachment', list, item: itemId, name, value: false };
  return tail.length === 1 && tail[0] === '$value'
    ? { kind: 'attachment', list, item: itemId, name, value: true }
    : undefined;
}
