import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { compress, decompress } from 'zstd-napi';
import { seal, unseal, type MasterKeys } from './crypto.js';
import { IntegrityError } from './errors.js';
import { isObjectRef, type ObjectRef } from './objects.js';

const AAD = Buffer.from('safehold-manifest-v1');

/** `manifests/<id>` (see docs/repository-format.md, Manifests). */
export interface Manifest {
  version: 1;
  schema: string;
  created: string;
  host: string;
  session: string;
  meta: Record<string, unknown>;
  /** JSON-lines records; each lists what it depends on in `refs`. */
  body: ObjectRef | null;
}

export function newManifest(
  schema: string,
  session: string,
  meta: Record<string, unknown>,
  body: ObjectRef | null,
): Manifest {
  return { version: 1, schema, created: new Date().toISOString(), host: hostname(), session, meta, body };
}

export function encodeManifest(keys: MasterKeys, m: Manifest): { id: string; bytes: Buffer } {
  const bytes = seal(keys.encrypt, compress(Buffer.from(JSON.stringify(m)), { compressionLevel: 3 }), AAD);
  return { id: createHash('sha256').update(bytes).digest('hex'), bytes };
}

export function decodeManifest(keys: MasterKeys, id: string, bytes: Buffer): Manifest {
  const file = `manifests/${id}`;
  if (createHash('sha256').update(bytes).digest('hex') !== id)
    throw new IntegrityError(`manifest ${id} does not match its name`, file);
  let m: Manifest;
  try {
    m = JSON.parse(
      decompress(unseal(keys.encrypt, bytes, AAD, `manifest ${id}`, file)).toString('utf8'),
    ) as Manifest;
  } catch (e) {
    if (e instanceof IntegrityError) throw e;
    throw new IntegrityError(`manifest ${id} is not valid`, file);
  }
  if (m.version !== 1 || typeof m.schema !== 'string' || (m.body !== null && !isObjectRef(m.body))) {
    throw new IntegrityError(`manifest ${id} has an unknown layout`, file);
  }
  return m;
}

/** A record's `refs` (the objects it depends on); malformed ones are reported, not skipped. */
export function recordRefs(record: unknown, where: string): ObjectRef[] {
  const refs = (record as { refs?: unknown } | null)?.refs;
  if (refs === undefined) return [];
  if (!Array.isArray(refs) || !refs.every(isObjectRef)) throw new IntegrityError(`${where}: malformed refs`);
  return refs;
}
