import type { TenantStore } from '../../tenant/store.js';

/**
 * Caches of generated content. Every cache belongs to one TenantStore: two emulators in one
 * process (a small and a medium tenant with the same seed, say) generate different content under
 * the same labels, so a cache keyed by seed alone would hand one tenant's content to the other.
 * Each cache is also bounded, by entries and optionally by weight (bytes).
 */

/** A least-recently-used map with an entry limit and an optional weight limit. */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  private weight = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxWeight = Infinity,
    private readonly weigh: (v: V) => number = () => 0,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  /** Keeps `value` unless it alone outweighs the cache (then it is returned but not kept). */
  set(key: K, value: V): V {
    const w = this.weigh(value);
    if (w > this.maxWeight) return value;
    const old = this.map.get(key);
    if (old !== undefined) {
      this.weight -= this.weigh(old);
      this.map.delete(key);
    }
    this.map.set(key, value);
    this.weight += w;
    for (const [k, v] of this.map) {
      if (this.map.size <= this.maxEntries && this.weight <= this.maxWeight) break;
      this.map.delete(k);
      this.weight -= this.weigh(v);
    }
    return value;
  }

  /** The cached value, or `make()`'s, remembered. */
  getOrMake(key: K, make: () => V): V {
    const hit = this.get(key);
    return hit !== undefined ? hit : this.set(key, make());
  }

  delete(key: K): void {
    const old = this.map.get(key);
    if (old === undefined) return;
    this.weight -= this.weigh(old);
    this.map.delete(key);
  }
}

/** One value per TenantStore, made on first use and dropped with the store. */
export function perStore<T>(make: (store: TenantStore) => T): (store: TenantStore) => T {
  const values = new WeakMap<TenantStore, T>();
  return (store) => {
    let v = values.get(store);
    if (v === undefined) values.set(store, (v = make(store)));
    return v;
  };
}
