import { IntegrityError } from './errors.js';

/**
 * References to stored objects, exactly as manifests persist them (docs/repository-format.md,
 * Objects and references). Ids are hex.
 */
export type ObjectRef =
  | { s: number; c: string[] }
  | { s: number; i: string; d?: number }
  | { s: number; m: MimeSegmentRef[] }
  | { s: 0 };

export type MimeSegmentRef = { r: ObjectRef } | { b: ObjectRef; w: number; e: string; t: 0 | 1 };

/** Ids listed inline in a reference; longer lists go to tree blobs. */
export const INLINE_IDS = 512;
/** Ids per tree blob (2 MiB of ids). */
export const TREE_FANOUT = 65_536;
const ID = 32;

export function encodeTree(ids: Buffer[]): Buffer {
  return Buffer.concat(ids);
}

export function decodeTree(plaintext: Buffer, treeId: string): Buffer[] {
  if (plaintext.length % ID !== 0) throw new IntegrityError(`tree blob ${treeId} is not a list of ids`);
  const ids: Buffer[] = [];
  for (let at = 0; at < plaintext.length; at += ID) ids.push(plaintext.subarray(at, at + ID));
  return ids;
}

/** Checks that a value read from a manifest is a well-formed reference. */
export function isObjectRef(v: unknown): v is ObjectRef {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  if (typeof r['s'] !== 'number' || !Number.isSafeInteger(r['s']) || r['s'] < 0) return false;
  if (Array.isArray(r['c'])) return r['c'].every((x) => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x));
  if (typeof r['i'] === 'string')
    return (
      /^[0-9a-f]{64}$/.test(r['i']) &&
      (r['d'] === undefined || (typeof r['d'] === 'number' && r['d'] >= 1 && r['d'] <= 8))
    );
  if (Array.isArray(r['m'])) {
    return r['m'].every((seg: unknown) => {
      const g = seg as Record<string, unknown>;
      if (g && 'r' in g) return isObjectRef(g['r']);
      return (
        !!g &&
        isObjectRef(g['b']) &&
        typeof g['w'] === 'number' &&
        typeof g['e'] === 'string' &&
        (g['t'] === 0 || g['t'] === 1)
      );
    });
  }
  return r['s'] === 0;
}

/** The objects a reference is built from, for walking (MIME segments name sub-objects). */
export function childRefs(ref: ObjectRef): ObjectRef[] {
  if ('m' in ref) return ref.m.map((seg) => ('r' in seg ? seg.r : seg.b));
  return [];
}
