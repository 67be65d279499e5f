import { batch, collect } from '../../graph/index.js';
import { forEachLimit } from '../../util/pool.js';
import type { CrawlContext } from './context.js';
import type { Directory } from './directory.js';

/**
 * Every drive (users' OneDrives and every site's libraries) enumerated with one `root/delta`
 * round each — a whole tree in a few pages, instead of one children request per folder.
 */
export async function crawlDrives(ctx: CrawlContext, dir: Directory): Promise<void> {
  const driveIds = new Set<string>(dir.users.flatMap((u) => (u.driveId ? [u.driveId] : [])));
  await forEachLimit(
    dir.sites.filter((s) => !s.personal),
    ctx.concurrency,
    async (site) => {
      try {
        for (const d of await collect<{ id: string }>(ctx.client, `/sites/${site.id}/drives?$select=id`))
          driveIds.add(d.id);
      } catch (e) {
        ctx.warn(`site ${site.webUrl} drives`, e);
      }
    },
  );
  ctx.add('drives.drives', driveIds.size);
  await forEachLimit(driveIds, ctx.concurrency, async (driveId) => {
    try {
      const files: string[] = [];
      const shared: string[] = [];
      await ctx.deltaRound(
        `/drives/${driveId}/root/delta?$select=id,name,size,file,folder,package,root,deleted,shared`,
        (items) => {
          for (const item of items) {
            if (item['deleted'] !== undefined || item['root'] !== undefined) continue;
            if (item['shared'] !== undefined) shared.push(String(item['id']));
            if (item['package'] !== undefined) ctx.add('drives.notebooks');
            else if (item['folder'] !== undefined) ctx.add('drives.folders');
            else if (item['file'] !== undefined) {
              ctx.add('drives.files');
              ctx.add('drives.bytes', Number(item['size'] ?? 0));
              files.push(String(item['id']));
            }
          }
        },
      );
      // Version history needs one request per file and sharing one per shared item ("shared"
      // facet; the rest only inherit): both go in $batches of 20.
      const [versions, permissions] = await Promise.all([
        batch(
          ctx.client,
          files.map((id) => ({ method: 'GET', url: `/drives/${driveId}/items/${id}/versions?$select=id` })),
        ),
        batch(
          ctx.client,
          shared.map((id) => ({ method: 'GET', url: `/drives/${driveId}/items/${id}/permissions` })),
        ),
      ]);
      for (const a of versions) {
        if (a.status === 200) ctx.add('drives.versions', (a.body as { value: unknown[] }).value.length);
        else ctx.warn(`drive ${driveId} versions`, `HTTP ${a.status}`);
      }
      for (const a of permissions) {
        if (a.status !== 200) ctx.warn(`drive ${driveId} permissions`, `HTTP ${a.status}`);
        else
          ctx.add(
            'drives.permissions',
            (a.body as { value: Record<string, unknown>[] }).value.filter(
              (p) => p['inheritedFrom'] === undefined,
            ).length,
          );
      }
    } catch (e) {
      ctx.warn(`drive ${driveId}`, e);
    }
  });
}
