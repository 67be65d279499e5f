import { BlobStoreError } from './types.js';

/**
 * File names are `/`-separated relative paths such as `data/ab/ab12…`. Every store accepts the same
 * names, so a repository can move between a folder and a bucket: no empty name, no leading or
 * trailing `/`, no empty, `.` or `..` segment, no backslash, no NUL or other control character.
 * Segments starting with {@link TEMP_PREFIX} are reserved for the folder store's temporary files.
 */
export const TEMP_PREFIX = '.safehold-tmp-';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function problem(name: string, allowTrailingSlash: boolean): string | undefined {
  if (typeof name !== 'string') return 'is not a string';
  if (CONTROL.test(name)) return 'contains a control character';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/')) return 'is absolute';
  const body = allowTrailingSlash && name.endsWith('/') ? name.slice(0, -1) : name;
  if (body === '') return allowTrailingSlash ? undefined : 'is empty';
  for (const segment of body.split('/')) {
    if (segment === '') return 'has an empty segment';
    if (segment === '.' || segment === '..') return `has a "${segment}" segment`;
    if (segment.startsWith(TEMP_PREFIX)) return `uses the reserved prefix ${TEMP_PREFIX}`;
  }
  return undefined;
}

/** Throws BlobStoreError (code EINVAL) unless `name` is a valid file name. */
export function checkName(name: string, location: string): void {
  const why = problem(name, false);
  if (why !== undefined) {
    throw new BlobStoreError(`invalid file name ${JSON.stringify(name)}: it ${why}`, location, 'EINVAL');
  }
}

/**
 * Throws BlobStoreError (code EINVAL) unless `prefix` is a valid list prefix: empty, or a valid name,
 * or a valid name followed by `/`. A prefix matches names by their beginning, so `index` matches
 * `index/x` and `index2/y`, while `index/` matches only the former.
 */
export function checkPrefix(prefix: string, location: string): void {
  const why = problem(prefix, true);
  if (why !== undefined) {
    throw new BlobStoreError(`invalid list prefix ${JSON.stringify(prefix)}: it ${why}`, location, 'EINVAL');
  }
}

/** Validates an (offset, length) pair; returns the normalised offset. */
export function checkRange(offset: number | undefined, length: number | undefined): number {
  const start = offset ?? 0;
  if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`invalid offset ${String(offset)}`);
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
    throw new RangeError(`invalid length ${String(length)}`);
  }
  return start;
}
