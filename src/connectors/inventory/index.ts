import type { GraphClient } from '../../graph/index.js';
import { CrawlContext, type Counts, type Warning } from './context.js';
import { crawlDirectory } from './directory.js';
import { crawlDrives } from './drives.js';
import { crawlMail } from './mail.js';
import { crawlOutlook } from './outlook.js';
import { crawlLists } from './sites.js';
import { crawlTeams } from './teams.js';

export type { Counts, Warning } from './context.js';
export type { Directory, GroupInfo, SiteInfo, UserInfo } from './directory.js';

export interface TenantInventory {
  counts: Counts;
  warnings: Warning[];
  durationMs: number;
}

export interface InventoryOptions {
  /** Accounts crawled at once (the governor still keeps each mailbox to 4 requests). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (stage: string) => void;
}

/**
 * Walks a whole tenant through the public Graph surface — directory, mailboxes (and archives),
 * contacts, calendars, group mail, OneDrive and SharePoint, lists, Teams — and counts what it
 * finds. It uses `$batch` for per-account probes and delta rounds for folders and drives, as the
 * backup engine's first run will. Problems with one account are warnings, not failures.
 */
export async function crawlTenant(
  client: GraphClient,
  opts: InventoryOptions = {},
): Promise<TenantInventory> {
  const started = Date.now();
  const ctx = new CrawlContext(client, opts.concurrency ?? 16, opts.signal);
  opts.onProgress?.('directory');
  const dir = await crawlDirectory(ctx);
  const stages: [string, () => Promise<void>][] = [
    ['mail', () => crawlMail(ctx, dir)],
    ['contacts and calendars', () => crawlOutlook(ctx, dir)],
    ['drives', () => crawlDrives(ctx, dir)],
    ['lists', () => crawlLists(ctx, dir)],
    ['teams', () => crawlTeams(ctx, dir)],
  ];
  // Services draw on different throttling budgets, so they run side by side.
  await Promise.all(
    stages.map(async ([name, run]) => {
      opts.onProgress?.(name);
      await run();
    }),
  );
  return {
    counts: Object.fromEntries(Object.entries(ctx.counts).sort(([a], [b]) => a.localeCompare(b))),
    warnings: ctx.warnings,
    durationMs: Date.now() - started,
  };
}
