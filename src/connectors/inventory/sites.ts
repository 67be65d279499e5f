import { collect, listItemAttachments } from '../../graph/index.js';
import { forEachLimit } from '../../util/pool.js';
import type { CrawlContext } from './context.js';
import type { Directory, SiteInfo } from './directory.js';

/**
 * SharePoint lists of every site (personal sites too), system lists included (they are hidden
 * and only listed when `$select` names the `system` facet), and their items by delta. Document
 * libraries are counted as lists; their files belong to the drive crawl. Graph has no API for list
 * item attachments: items whose `Attachments` field is set are asked through SharePoint REST,
 * which takes only certificate sign-ins — with a secret they are reported as not counted.
 */
export async function crawlLists(ctx: CrawlContext, dir: Directory): Promise<void> {
  const canReadAttachments = ctx.client.config.credential.kind === 'certificate';
  let skippedAttachments = 0;
  await forEachLimit(dir.sites, ctx.concurrency, async (site) => {
    try {
      const lists = await collect<Record<string, unknown>>(
        ctx.client,
        `/sites/${site.id}/lists?$select=id,displayName,list,system`,
      );
      for (const list of lists) {
        const facet = (list['list'] ?? {}) as { template?: string };
        const system = list['system'] !== undefined;
        ctx.add(system ? 'lists.systemLists' : 'lists.lists');
        if (facet.template === 'documentLibrary') {
          ctx.add('lists.documentLibraries');
          continue;
        }
        const withAttachments: string[] = [];
        await ctx.deltaRound(
          `/sites/${site.id}/lists/${String(list['id'])}/items/delta?$select=id&$expand=fields($select=Attachments)`,
          (items) => {
            const live = items.filter((i) => i['deleted'] === undefined);
            ctx.add(system ? 'lists.systemListItems' : 'lists.listItems', live.length);
            for (const i of live)
              if ((i['fields'] as { Attachments?: unknown } | undefined)?.Attachments === true)
                withAttachments.push(String(i['id']));
          },
        );
        if (!canReadAttachments) skippedAttachments += withAttachments.length;
        else await countAttachments(ctx, site, String(list['id']), withAttachments);
      }
    } catch (e) {
      ctx.warn(`lists of ${site.webUrl}`, e);
    }
  });
  if (skippedAttachments > 0) {
    ctx.warn(
      'list item attachments',
      `${skippedAttachments} items have attachments that were not counted: SharePoint REST needs a certificate sign-in`,
    );
  }
}

async function countAttachments(
  ctx: CrawlContext,
  site: SiteInfo,
  listId: string,
  itemIds: string[],
): Promise<void> {
  await forEachLimit(itemIds, 4, async (id) => {
    const files = await listItemAttachments(ctx.client, site.webUrl, listId, id, ctx.signal);
    ctx.add('lists.listItemAttachments', files.length);
  });
}
