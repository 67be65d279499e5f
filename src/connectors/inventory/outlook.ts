import { batch, collect } from '../../graph/index.js';
import { forEachLimit } from '../../util/pool.js';
import type { CrawlContext } from './context.js';
import type { Directory } from './directory.js';

/** Contacts: the default folder and every other folder (flattened by contactFolders/delta), each by delta. */
async function crawlContacts(ctx: CrawlContext, userId: string): Promise<void> {
  const folders: Record<string, unknown>[] = [];
  await ctx.deltaRound(`/users/${userId}/contactFolders/delta`, (items) =>
    folders.push(...items.filter((f) => f['@removed'] === undefined)),
  );
  ctx.add('contacts.folders', folders.length + 1);
  const count = (items: Record<string, unknown>[]) =>
    ctx.add('contacts.contacts', items.filter((c) => c['@removed'] === undefined).length);
  await ctx.deltaRound(`/users/${userId}/contacts/delta?$select=id`, count, {
    prefer: 'odata.maxpagesize=1000',
  });
  await forEachLimit(folders, 4, async (f) => {
    await ctx.deltaRound(
      `/users/${userId}/contactFolders/${encodeURIComponent(String(f['id']))}/contacts/delta?$select=id`,
      count,
      { prefer: 'odata.maxpagesize=1000' },
    );
  });
}

/** Answers of a GET per path, in $batches; failures become warnings. */
async function getAll(ctx: CrawlContext, scope: string, paths: string[]): Promise<Record<string, unknown>[]> {
  const answers = await batch(
    ctx.client,
    paths.map((url) => ({ method: 'GET', url })),
  );
  const out: Record<string, unknown>[] = [];
  for (const a of answers) {
    if (a.status === 200) out.push(a.body as Record<string, unknown>);
    else ctx.warn(scope, `HTTP ${a.status}`);
  }
  return out;
}

/**
 * Calendars and their stored events: single instances and series masters from `/events`, the
 * masters' exceptions (beta `exceptionOccurrences`, fetched by id), and the attachments of every
 * event that has some — all per-item requests in $batches.
 */
async function crawlCalendars(ctx: CrawlContext, ownerId: string, kind: 'user' | 'group'): Promise<void> {
  const calendars = await collect<Record<string, unknown>>(
    ctx.client,
    `/users/${ownerId}/calendars?$select=id,name`,
  );
  ctx.add('calendar.calendars', calendars.length);
  await forEachLimit(calendars, 4, async (cal) => {
    const events = await collect<Record<string, unknown>>(
      ctx.client,
      `/beta/users/${ownerId}/calendars/${encodeURIComponent(String(cal['id']))}/events?$select=id,type,hasAttachments,exceptionOccurrences&$top=1000`,
    );
    const exceptionIds = events.flatMap((e) => (e['exceptionOccurrences'] as string[] | undefined) ?? []);
    const exceptions = await getAll(
      ctx,
      `exceptions of ${ownerId}`,
      exceptionIds.map(
        (id) => `/users/${ownerId}/events/${encodeURIComponent(id)}?$select=id,hasAttachments`,
      ),
    );
    const all = events.concat(exceptions);
    if (kind === 'group') {
      ctx.add('calendar.groupEvents', all.length);
      return;
    }
    ctx.add('calendar.events', all.length);
    ctx.add('calendar.seriesMasters', events.filter((e) => e['type'] === 'seriesMaster').length);
    ctx.add('calendar.exceptions', exceptions.length);
    const withFiles = all.filter((e) => e['hasAttachments'] === true);
    const lists = await getAll(
      ctx,
      `event attachments of ${ownerId}`,
      withFiles.map(
        (e) => `/users/${ownerId}/events/${encodeURIComponent(String(e['id']))}/attachments?$select=id`,
      ),
    );
    ctx.add(
      'calendar.eventAttachments',
      lists.reduce((n, l) => n + (l['value'] as unknown[]).length, 0),
    );
  });
}

export async function crawlOutlook(ctx: CrawlContext, dir: Directory): Promise<void> {
  await forEachLimit(
    dir.users.filter((u) => u.mailbox),
    ctx.concurrency,
    async (u) => {
      try {
        await crawlContacts(ctx, u.id);
        await crawlCalendars(ctx, u.id, 'user');
      } catch (e) {
        ctx.warn(`contacts/calendar of ${u.userPrincipalName}`, e);
      }
    },
  );
  await forEachLimit(
    dir.groups.filter((g) => g.unified),
    ctx.concurrency,
    async (g) => {
      try {
        await crawlCalendars(ctx, g.id, 'group');
      } catch (e) {
        ctx.warn(`group calendar of ${g.displayName}`, e);
      }
    },
  );
}
