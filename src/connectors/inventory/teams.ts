import { batch, collect } from '../../graph/index.js';
import { forEachLimit } from '../../util/pool.js';
import type { CrawlContext } from './context.js';
import type { Directory } from './directory.js';

type Json = Record<string, unknown>;

/** Replies inlined by `$expand=replies`, following `replies@odata.nextLink` when a thread is long. */
async function repliesOf(ctx: CrawlContext, post: Json): Promise<Json[]> {
  const replies = [...((post['replies'] as Json[] | undefined) ?? [])];
  const next = post['replies@odata.nextLink'];
  if (typeof next === 'string') replies.push(...(await collect<Json>(ctx.client, next)));
  return replies;
}

const hasHostedContent = (m: Json) =>
  /hostedContents\//.test(String((m['body'] as { content?: string } | undefined)?.content ?? ''));

/**
 * Teams: channels (all of them, private and shared included), posts with their replies — the
 * message list, because channel delta only reaches back 8 months — inline images
 * (hostedContents), tabs and members.
 */
async function crawlTeam(ctx: CrawlContext, teamId: string): Promise<void> {
  ctx.add('teams.teams');
  ctx.add('teams.teamMembers', (await collect<Json>(ctx.client, `/teams/${teamId}/members`)).length);
  // `/channels` lists the channels a team hosts (private and shared ones too); `allChannels` would
  // add channels shared into it from other teams, which those teams already count.
  const own = await collect<Json>(ctx.client, `/teams/${teamId}/channels?$select=id,membershipType`);
  ctx.add('teams.channels', own.length);
  // Channels are separate throttling scopes (4 requests/s each), so they are walked side by side.
  await forEachLimit(own, 8, async (ch) => {
    const base = `/teams/${teamId}/channels/${encodeURIComponent(String(ch['id']))}`;
    const [tabs, posts] = await Promise.all([
      collect<Json>(ctx.client, `${base}/tabs`),
      collect<Json>(ctx.client, `${base}/messages?$top=50&$expand=replies`),
    ]);
    ctx.add('teams.tabs', tabs.length);
    const withImages: string[] = [];
    for (const post of posts) {
      ctx.add('teams.posts');
      if (hasHostedContent(post)) withImages.push(`${base}/messages/${String(post['id'])}/hostedContents`);
      for (const reply of await repliesOf(ctx, post)) {
        ctx.add('teams.replies');
        if (hasHostedContent(reply))
          withImages.push(
            `${base}/messages/${String(post['id'])}/replies/${String(reply['id'])}/hostedContents`,
          );
      }
    }
    const answers = await batch(
      ctx.client,
      withImages.map((url) => ({ method: 'GET', url: url.replace(/^\/(v1\.0|beta)/, '') })),
    );
    for (const a of answers) {
      if (a.status === 200) ctx.add('teams.hostedContents', (a.body as { value: unknown[] }).value.length);
      else ctx.warn(`team ${teamId} hostedContents`, `HTTP ${a.status}`);
    }
  });
}

export async function crawlTeams(ctx: CrawlContext, dir: Directory): Promise<void> {
  await forEachLimit(
    dir.groups.filter((g) => g.team),
    ctx.concurrency,
    async (g) => {
      try {
        await crawlTeam(ctx, g.id);
      } catch (e) {
        ctx.warn(`team ${g.displayName}`, e);
      }
    },
  );
}
