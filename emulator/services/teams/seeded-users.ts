import { Collection } from '../../core/collection.js';
import { generateUsers } from '../../tenant/directory.js';
import type { UserRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';

/**
 * The directory's users as the seed made them, whatever tenant activity did since (renames,
 * deletions, additions). Generated content (message authors, mentions, list people) is drawn
 * from this view so it comes out the same whether it is first read before or after a change,
 * and after a restart that replays the change first.
 */
const cache = new WeakMap<TenantStore, Map<string, UserRecord>>();

export function seededUsers(store: TenantStore): Map<string, UserRecord> {
  let users = cache.get(store);
  if (!users) {
    const c = new Collection<UserRecord>('seeded:users');
    generateUsers(store, c);
    users = new Map(c.values().map((u) => [u.id, u]));
    cache.set(store, users);
  }
  return users;
}

/** A user as seeded, else as they are now (accounts added by activity). */
export function userAsGenerated(store: TenantStore, id: string): UserRecord | undefined {
  return seededUsers(store).get(id) ?? store.users.get(id);
}
