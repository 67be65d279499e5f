import { collect } from '../../graph/index.js';
import { forEachLimit } from '../../util/pool.js';
import type { CrawlContext } from './context.js';
import type { Directory } from './directory.js';

/**
 * SharePoint lists of every site (personal sites too), system lists included (they are hidden
 * and only listed when `$select` names the `system` facet), and their items by delta. Document
 * libraries are counted as lists; their files belong to the drive crawl.
 */
export async function crawlLists(ctx: CrawlContext, dir: Directory): Promise<void> {
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
        await ctx.deltaRound(
          `/sites/${site.id}/lists/${String(list['id'])}/items/delta?$select=id`,
          (items) => {
            ctx.add(
              system ? 'lists.systemListItems' : 'lists.listItems',
              items.filter((i) => i['deleted'] === undefined).length,
            );
          },
        );
      }
    } catch (e) {
      ctx.warn(`lists of ${site.webUrl}`, e);
    }
  });
}
