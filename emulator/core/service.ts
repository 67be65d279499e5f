import type { Random } from '../generator/random.js';
import type { TenantStore } from '../tenant/store.js';
import type { ScaledClock } from './clock.js';
import type { DownloadRegistry } from './downloads.js';
import type { RouteDef } from './types.js';

/** What a service module gets to work with. */
export interface ServiceContext {
  store: TenantStore;
  clock: ScaledClock;
  downloads: DownloadRegistry;
  /** Randomness for runtime choices (ids of created items, activity); seeded from `--seed`. */
  random: Random;
}

/** An admin activity operation (`POST /_emulator/activity`), by name. */
export type ActivityOp = (args: Record<string, unknown>) => unknown;

/**
 * One Graph area of the emulator (mail, drives, teams, ...). Modules register materializers for
 * their collections, their Graph routes, and what they contribute to the admin API.
 */
export interface ServiceModule {
  name: string;
  /** Registers materializers on the store (called once, before any request). */
  install?(store: TenantStore): void;
  /** Routes under /v1.0 and /beta. */
  routes(ctx: ServiceContext): RouteDef[];
  /** Routes outside the Graph versions (pre-authenticated upload/download URLs). */
  plainRoutes?(ctx: ServiceContext): RouteDef[];
  /** Counts of everything this module generated and holds now, for `/_emulator/inventory`. */
  inventory?(ctx: ServiceContext): Record<string, number>;
  /** Named activity operations for `/_emulator/activity`. */
  activity?(ctx: ServiceContext): Record<string, ActivityOp>;
}

/**
 * The route shorthand services use: `r(method, path, permissions, handler, extra?)` with the
 * module's own defaults (scope, versions) and an optional path prefix.
 */
export function routeMaker(defaults: Partial<RouteDef> | ((path: string) => Partial<RouteDef>), prefix = '') {
  return (
    method: string,
    path: string,
    permissions: readonly string[],
    handler: RouteDef['handler'],
    extra: Partial<RouteDef> = {},
  ): RouteDef => ({
    method,
    path: `${prefix}${path}`,
    permissions,
    handler,
    ...(typeof defaults === 'function' ? defaults(path) : defaults),
    ...extra,
  });
}
