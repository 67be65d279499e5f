import { Collection } from '../core/collection.js';
import { generateGroups, generateUsers } from './directory.js';
import type { GroupRecord, UserRecord } from './records.js';
import type { TenantStore } from './store.js';

/**
 * The directory exactly as the seed generated it, before any runtime change. Mailbox content
 * is generated from this, not from the live directory: a collection may be materialized before
 * or after a journaled directory change (a renamed or deleted user), and must come out the same
 * either way or journal replay would not line up.
 */
export interface SeededDirectory {
  users: UserRecord[];
  usersById: Map<string, UserRecord>;
  groupsById: Map<string, GroupRecord>;
}

const cache = new WeakMap<TenantStore, SeededDirectory>();

export function seededDirectory(store: TenantStore): SeededDirectory {
  let d = cache.get(store);
  if (d) return d;
  const users = new Collection<UserRecord>('seeded:users');
  generateUsers(store, users);
  const groups = new Collection<GroupRecord>('seeded:groups');
  generateGroups(store, groups, users.values());
  d = {
    users: users.values(),
    usersById: new Map(users.values().map((u) => [u.id, u])),
    groupsById: new Map(groups.values().map((g) => [g.id, g])),
  };
  cache.set(store, d);
  return d;
}

/** A user as seeded, or (for accounts added at runtime) as the live directory has it. */
export function seededOrLiveUser(store: TenantStore, id: string): UserRecord | undefined {
  return seededDirectory(store).usersById.get(id) ?? store.users.get(id);
}

export function seededOrLiveGroup(store: TenantStore, id: string): GroupRecord | undefined {
  return seededDirectory(store).groupsById.get(id) ?? store.groups.get(id);
}
