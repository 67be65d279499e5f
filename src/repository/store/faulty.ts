import { Readable } from 'node:stream';
import { BlobStoreError } from './types.js';
import type { BlobStore, StoredFile } from './types.js';
import { toBuffer } from './util.js';

export type StoreOperation = 'put' | 'get' | 'stream' | 'stat' | 'list' | 'delete';

export type Fault =
  | { kind: 'error'; code?: string; message?: string; afterBytes?: number }
  | { kind: 'truncate'; bytes: number }
  | { kind: 'corrupt'; offset?: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'crash'; afterBytes?: number; keepPartial?: boolean }
  | { kind: 'drop' };

export interface FaultRule {
  /** The operations the rule watches (default all). */
  op?: StoreOperation | StoreOperation[];
  /** Exact name, prefix (a string ending in `/`), RegExp or predicate (default every name). */
  name?: string | RegExp | ((name: string) => boolean);
  /** The first matching call that gets the fault, from 1 (default 1). */
  nth?: number;
  /** How many matching calls get it, from the nth on (default 1; Infinity for all). */
  times?: number;
  fault: Fault;
}

export interface FaultHandle {
  readonly rule: FaultRule;
  /** Matching calls seen so far. */
  readonly seen: number;
  /** Calls that got the fault so far. */
  readonly fired: number;
  /** Stops the rule. */
  remove(): void;
}

export interface FaultyCall {
  op: StoreOperation;
  /** The file name, or the prefix for `list`. */
  name: string;
  /** The fault the call got, if any. */
  fault?: Fault['kind'];
}

/** Shorthands for the usual faults. */
export const faults = {
  /** Disk full: `put` fails with ENOSPC after `afterBytes` bytes reached the inner store (default 0). */
  enospc: (afterBytes = 0): Fault => ({ kind: 'error', code: 'ENOSPC', afterBytes }),
  /** Fails with `code` (default EIO), before the inner store is called or after `afterBytes`. */
  error: (code = 'EIO', afterBytes?: number): Fault =>
    afterBytes === undefined ? { kind: 'error', code } : { kind: 'error', code, afterBytes },
  truncate: (bytes: number): Fault => ({ kind: 'truncate', bytes }),
  corrupt: (offset = 0): Fault => ({ kind: 'corrupt', offset }),
  delay: (ms: number): Fault => ({ kind: 'delay', ms }),
  crash: (options: { afterBytes?: number; keepPartial?: boolean } = {}): Fault => ({
    kind: 'crash',
    ...options,
  }),
  drop: (): Fault => ({ kind: 'drop' }),
};

const APPLIES: Record<Fault['kind'], readonly StoreOperation[]> = {
  error: ['put', 'get', 'stream', 'stat', 'list', 'delete'],
  truncate: ['put', 'get', 'stream'],
  corrupt: ['put', 'get', 'stream'],
  delay: ['put', 'get', 'stream', 'stat', 'list', 'delete'],
  crash: ['put', 'get', 'stream', 'stat', 'list', 'delete'],
  drop: ['put', 'delete'],
};

interface ActiveRule {
  rule: FaultRule;
  seen: number;
  fired: number;
  removed: boolean;
}

function nameMatches(pattern: FaultRule['name'], name: string): boolean {
  if (pattern === undefined) return true;
  if (typeof pattern === 'string') return pattern.endsWith('/') ? name.startsWith(pattern) : name === pattern;
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0;
    return pattern.test(name);
  }
  return pattern(name);
}

async function* chunksOf(data: Buffer | Readable): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(data)) {
    for (let offset = 0; offset < data.length; offset += 1 << 20)
      yield data.subarray(offset, offset + (1 << 20));
    return;
  }
  for await (const chunk of data) yield toBuffer(chunk);
}

/** The first `limit` bytes, then `error` (if given); the rest of the source is drained when `drain`. */
async function* firstBytes(
  source: AsyncIterable<Buffer>,
  limit: number,
  error: Error | undefined,
  drain: boolean,
): AsyncGenerator<Buffer> {
  let passed = 0;
  for await (const chunk of source) {
    if (passed + chunk.length <= limit) {
      passed += chunk.length;
      yield chunk;
      continue;
    }
    if (passed < limit) yield chunk.subarray(0, limit - passed);
    passed = limit;
    if (error !== undefined) throw error;
    if (!drain) return;
  }
}

async function* invertByte(source: AsyncIterable<Buffer>, offset: number): AsyncGenerator<Buffer> {
  let position = 0;
  for await (const chunk of source) {
    if (offset >= position && offset < position + chunk.length) {
      const copy = Buffer.from(chunk);
      copy[offset - position] = (copy[offset - position] ?? 0) ^ 0xff;
      yield copy;
    } else {
      yield chunk;
    }
    position += chunk.length;
  }
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * FaultyStore: a BlobStore wrapper for fault tests. It passes every call to an inner store (a
 * FolderStore in a temp dir, an S3Store against moto, …) except the calls that match a rule, which
 * get the rule's fault instead: disk full after N bytes, the Nth put failing, a torn or corrupted
 * file, a slow call, a crash that takes the whole store down.
 *
 * ```ts
 * const store = new FaultyStore(new FolderStore(dir));
 * // disk full 1 MiB into the first pack written:
 * store.inject({ op: 'put', name: /^data\//, fault: faults.enospc(1 << 20) });
 * // the 3rd put of anything fails with EIO, then the store works again:
 * store.inject({ op: 'put', nth: 3, fault: faults.error('EIO') });
 * // the process "dies" while writing the first index: this and every later call fail until recover():
 * const crash = store.inject({ op: 'put', name: /^index\//, fault: faults.crash() });
 * await expect(repo.backup(...)).rejects.toThrow();
 * expect(crash.fired).toBe(1);
 * store.recover();   // or reopen the repository on store.inner, as a restarted process would
 * ```
 *
 * Rules (see {@link FaultRule}):
 * - `op`: the operations the rule watches (default all); `name`: which files — an exact name, a
 *   string ending in `/` for a prefix, a RegExp or a predicate (for `list`, the listed prefix).
 * - `nth` (default 1): the first matching call that gets the fault, counting from 1 and from the
 *   moment the rule was injected; `times` (default 1, `Infinity` for every one): how many matching
 *   calls get it from there on.
 * - Rules are tried in injection order; the first one that fires decides, but every rule that
 *   matches a call counts it. A fault kind that does not apply to an operation (see {@link Fault})
 *   does not match that operation at all.
 *
 * Faults (see {@link faults} for shorthands):
 * - `error`: reject with `BlobStoreError(code)` (default code EIO). Without `afterBytes` the inner
 *   store is not called. With `afterBytes`, on `put` the inner store receives a stream that yields
 *   the first `afterBytes` bytes of the data and then fails with that error — exactly what a disk
 *   filling up mid-file looks like to the store, whose cleanup (temp file removed, multipart upload
 *   aborted) runs for real; on `get`/`stream` the read fails after `afterBytes` bytes. Data shorter
 *   than `afterBytes` passes unharmed.
 * - `truncate`: `put` stores only the first `bytes` bytes yet reports success (a torn write, as a
 *   non-atomic store leaves after a crash); `get`/`stream` return at most `bytes` bytes.
 * - `corrupt`: the byte at `offset` (default 0; for reads, relative to the returned range) is
 *   inverted on `put` (the stored file is damaged, put succeeds) or on `get`/`stream`.
 * - `delay`: wait `ms`, then run the call normally (all operations).
 * - `crash`: the store goes down: this call and every later one reject with code CRASHED until
 *   {@link FaultyStore.recover}. On `put`, `keepPartial` leaves the first `afterBytes` bytes
 *   (default 0) in the inner store under the name, as a store without atomic writes would.
 * - `drop`: `put` consumes the data and reports success without storing anything (a lost write);
 *   `delete` reports success without deleting.
 *
 * Every call is recorded in {@link FaultyStore.calls} with the fault it got, if any.
 */
export class FaultyStore implements BlobStore {
  readonly location: string;
  /** Every call, in the order made. */
  readonly calls: FaultyCall[] = [];
  private readonly rules: ActiveRule[] = [];
  private down = false;

  constructor(
    readonly inner: BlobStore,
    rules: FaultRule[] = [],
  ) {
    this.location = inner.location;
    for (const rule of rules) this.inject(rule);
  }

  /** Adds a rule; the handle tells how often it matched and fired. */
  inject(rule: FaultRule): FaultHandle {
    const active: ActiveRule = { rule, seen: 0, fired: 0, removed: false };
    this.rules.push(active);
    return {
      rule,
      get seen() {
        return active.seen;
      },
      get fired() {
        return active.fired;
      },
      remove: () => {
        active.removed = true;
      },
    };
  }

  /** Removes every rule (the call log stays). */
  clear(): void {
    for (const active of this.rules) active.removed = true;
    this.rules.length = 0;
  }

  /** True after a `crash` fault, until {@link recover}. */
  get crashed(): boolean {
    return this.down;
  }

  /** Brings a crashed store back up. */
  recover(): void {
    this.down = false;
  }

  async put(name: string, data: Buffer | Readable, size?: number): Promise<void> {
    const fault = await this.enter('put', name);
    if (fault === undefined) return this.inner.put(name, data, size);
    switch (fault.kind) {
      case 'error': {
        const error = this.error(fault, 'put', name);
        if (fault.afterBytes === undefined) {
          if (!Buffer.isBuffer(data)) data.destroy();
          throw error;
        }
        const source = Readable.from(firstBytes(chunksOf(data), fault.afterBytes, error, false));
        return this.inner.put(name, source, size);
      }
      case 'truncate':
        return this.inner.put(name, Readable.from(firstBytes(chunksOf(data), fault.bytes, undefined, true)));
      case 'corrupt':
        return this.inner.put(name, Readable.from(invertByte(chunksOf(data), fault.offset ?? 0)), size);
      case 'crash': {
        if (fault.keepPartial === true) {
          const partial = await collect(firstBytes(chunksOf(data), fault.afterBytes ?? 0, undefined, false));
          await this.inner.put(name, partial);
        } else if (!Buffer.isBuffer(data)) {
          data.destroy();
        }
        throw this.crashError('put', name);
      }
      case 'drop':
        for await (const _ of chunksOf(data));
        return;
      case 'delay':
        return this.inner.put(name, data, size);
    }
  }

  async get(name: string, offset?: number, length?: number): Promise<Buffer> {
    const fault = await this.enter('get', name);
    if (fault === undefined || fault.kind === 'delay') return this.inner.get(name, offset, length);
    switch (fault.kind) {
      case 'error': {
        const error = this.error(fault, 'get', name);
        if (fault.afterBytes === undefined) throw error;
        const data = await this.inner.get(name, offset, length);
        if (data.length > fault.afterBytes) throw error;
        return data;
      }
      case 'truncate':
        return (await this.inner.get(name, offset, length)).subarray(0, fault.bytes);
      case 'corrupt':
        return collect(invertByte(chunksOf(await this.inner.get(name, offset, length)), fault.offset ?? 0));
      case 'crash':
        throw this.crashError('get', name);
      case 'drop':
        return this.inner.get(name, offset, length);
    }
  }

  async stream(name: string, offset?: number, length?: number): Promise<Readable> {
    const fault = await this.enter('stream', name);
    if (fault === undefined || fault.kind === 'delay' || fault.kind === 'drop') {
      return this.inner.stream(name, offset, length);
    }
    switch (fault.kind) {
      case 'error': {
        const error = this.error(fault, 'stream', name);
        if (fault.afterBytes === undefined) throw error;
        const inner = await this.inner.stream(name, offset, length);
        return Readable.from(firstBytes(chunksOf(inner), fault.afterBytes, error, false));
      }
      case 'truncate': {
        const inner = await this.inner.stream(name, offset, length);
        return Readable.from(firstBytes(chunksOf(inner), fault.bytes, undefined, false));
      }
      case 'corrupt': {
        const inner = await this.inner.stream(name, offset, length);
        return Readable.from(invertByte(chunksOf(inner), fault.offset ?? 0));
      }
      case 'crash':
        throw this.crashError('stream', name);
    }
  }

  async stat(name: string): Promise<StoredFile | undefined> {
    const fault = await this.enter('stat', name);
    this.simpleFault(fault, 'stat', name);
    return this.inner.stat(name);
  }

  async *list(prefix: string): AsyncGenerator<StoredFile> {
    const fault = await this.enter('list', prefix);
    this.simpleFault(fault, 'list', prefix);
    for await (const file of this.inner.list(prefix)) {
      if (this.down) throw this.crashError('list', prefix);
      yield file;
    }
  }

  async delete(name: string): Promise<void> {
    const fault = await this.enter('delete', name);
    if (fault?.kind === 'drop') return;
    this.simpleFault(fault, 'delete', name);
    return this.inner.delete(name);
  }

  async close(): Promise<void> {
    await this.inner.close();
  }

  /** Records the call, picks its fault, waits out a delay; rejects while the store is down. */
  private async enter(op: StoreOperation, name: string): Promise<Fault | undefined> {
    const call: FaultyCall = { op, name };
    this.calls.push(call);
    if (this.down) throw this.crashError(op, name);
    let chosen: Fault | undefined;
    for (const active of this.rules) {
      const { rule } = active;
      if (active.removed || !APPLIES[rule.fault.kind].includes(op)) continue;
      const ops = rule.op === undefined ? undefined : Array.isArray(rule.op) ? rule.op : [rule.op];
      if (ops !== undefined && !ops.includes(op)) continue;
      if (!nameMatches(rule.name, name)) continue;
      active.seen += 1;
      const nth = rule.nth ?? 1;
      if (chosen === undefined && active.seen >= nth && active.fired < (rule.times ?? 1)) {
        active.fired += 1;
        chosen = rule.fault;
      }
    }
    if (chosen === undefined) return undefined;
    call.fault = chosen.kind;
    if (chosen.kind === 'delay') await sleep(chosen.ms);
    if (chosen.kind === 'crash') this.down = true;
    return chosen;
  }

  /** Faults of stat, list and delete: only error and crash act (delay already waited). */
  private simpleFault(fault: Fault | undefined, op: StoreOperation, name: string): void {
    if (fault?.kind === 'error') throw this.error(fault, op, name);
    if (fault?.kind === 'crash') throw this.crashError(op, name);
  }

  private error(fault: Extract<Fault, { kind: 'error' }>, op: StoreOperation, name: string): BlobStoreError {
    const code = fault.code ?? 'EIO';
    return new BlobStoreError(fault.message ?? `${op} ${name}: injected ${code}`, this.location, code);
  }

  private crashError(op: StoreOperation, name: string): BlobStoreError {
    return new BlobStoreError(`${op} ${name}: the store crashed (injected)`, this.location, 'CRASHED');
  }
}
