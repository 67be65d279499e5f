import { batch, collect } from '../../graph/index.js';
import { forEachLimit } from '../../util/pool.js';
import type { CrawlContext } from './context.js';
import type { Directory, UserInfo } from './directory.js';

const SEARCH_FOLDER = '#microsoft.graph.mailSearchFolder';

/**
 * Every mail folder (one `mailFolders/delta` round per mailbox gives the whole tree, flattened)
 * and every message (one `messages/delta` round per folder, 1,000 per page), as a backup's first
 * run would walk them. Search folders hold no items of their own and are skipped.
 */
async function crawlMailbox(ctx: CrawlContext, user: UserInfo): Promise<void> {
  const folders: Record<string, unknown>[] = [];
  await ctx.deltaRound(`/users/${user.id}/mailFolders/delta`, (items) =>
    folders.push(...items.filter((f) => f['@removed'] === undefined)),
  );
  // Hidden folders are only listed on request; the delta leaves them out.
  const known = new Set(folders.map((f) => f['id']));
  const top = await collect<Record<string, unknown>>(
    ctx.client,
    `/users/${user.id}/mailFolders?includeHiddenFolders=true&$select=id,displayName,isHidden&$top=250`,
  );
  folders.push(...top.filter((f) => f['isHidden'] === true && !known.has(f['id'])));
  const real = folders.filter((f) => f['@odata.type'] !== SEARCH_FOLDER);
  ctx.add('mail.folders', folders.length);
  ctx.add('mail.searchFolders', folders.length - real.length);
  // Up to 4 folders at once: a mailbox serves 4 concurrent requests (the governor enforces it).
  await forEachLimit(real, 4, async (folder) => {
    await ctx.deltaRound(
      `/users/${user.id}/mailFolders/${encodeURIComponent(String(folder['id']))}/messages/delta?$select=id,hasAttachments&$expand=attachments($select=id)`,
      (items) => {
        const live = items.filter((m) => m['@removed'] === undefined);
        ctx.add('mail.messages', live.length);
        ctx.add('mail.messagesWithAttachments', live.filter((m) => m['hasAttachments'] === true).length);
        ctx.add(
          'mail.attachments',
          live.reduce((n, m) => n + ((m['attachments'] as unknown[] | undefined)?.length ?? 0), 0),
        );
      },
      { prefer: 'odata.maxpagesize=1000' },
    );
  });
}

/** The in-place archive through the beta mailbox export API: folders, then items per folder. */
async function crawlArchive(ctx: CrawlContext, user: UserInfo): Promise<void> {
  const mbx = encodeURIComponent(user.archiveMailboxId as string);
  const folders = await collect<Record<string, unknown>>(
    ctx.client,
    `/beta/admin/exchange/mailboxes/${mbx}/folders?$top=250`,
  );
  ctx.add('archive.folders', folders.length);
  await forEachLimit(folders, 4, async (f) => {
    const items = await collect(
      ctx.client,
      `/beta/admin/exchange/mailboxes/${mbx}/folders/${encodeURIComponent(String(f['id']))}/items?$top=250`,
    );
    ctx.add('archive.items', items.length);
  });
}

/** Microsoft 365 group mail: conversations' threads and their posts (posts asked in $batches). */
async function crawlGroupMail(ctx: CrawlContext, groupId: string): Promise<void> {
  ctx.add(
    'groupMail.conversations',
    (await collect(ctx.client, `/groups/${groupId}/conversations?$select=id`)).length,
  );
  const threads = await collect<Record<string, unknown>>(ctx.client, `/groups/${groupId}/threads?$select=id`);
  ctx.add('groupMail.threads', threads.length);
  const answers = await batch(
    ctx.client,
    threads.map((t) => ({
      method: 'GET',
      url: `/groups/${groupId}/threads/${String(t['id'])}/posts?$select=id,hasAttachments`,
    })),
  );
  for (const a of answers) {
    if (a.status !== 200) {
      ctx.warn(`group ${groupId} posts`, `HTTP ${a.status}`);
      continue;
    }
    const body = a.body as { value: unknown[]; '@odata.nextLink'?: string };
    ctx.add('groupMail.posts', body.value.length);
    if (body['@odata.nextLink'])
      ctx.add('groupMail.posts', (await collect(ctx.client, body['@odata.nextLink'])).length);
  }
}

export async function crawlMail(ctx: CrawlContext, dir: Directory): Promise<void> {
  const mailboxes = dir.users.filter((u) => u.mailbox);
  await forEachLimit(mailboxes, ctx.concurrency, async (u) => {
    try {
      await crawlMailbox(ctx, u);
      if (u.archiveMailboxId) await crawlArchive(ctx, u);
    } catch (e) {
      ctx.warn(`mailbox ${u.userPrincipalName}`, e);
    }
  });
  await forEachLimit(
    dir.groups.filter((g) => g.unified),
    ctx.concurrency,
    async (g) => {
      try {
        await crawlGroupMail(ctx, g.id);
      } catch (e) {
        ctx.warn(`group mail ${g.displayName}`, e);
      }
    },
  );
}
