import { pageArray } from '../../core/listing.js';
import { badRequest, contextUrl, jsonBody, noContent, ok, select } from '../../core/odata.js';
import type { EmuRequest, RouteDef } from '../../core/types.js';
import type { GroupRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { exchangeScope, itemNotFound, requireGroupAccess } from '../shared/exchange.js';
import { threadsKey } from './group-gen.js';
import {
  conversationJson,
  createThreadRecord,
  groupPosts,
  groupThreads,
  postJson,
  postsOf,
  postView,
  replyTarget,
  requireUnified,
  storePost,
  threadJson,
} from './group-model.js';
import { attachmentKeysOf, conversationIdFor, groupKeysOf } from './ids.js';
import { attachmentJson } from './json.js';
import type { GroupThreadRecord } from './records.js';

/** Group conversations, threads and posts (Microsoft 365 groups only). */

const READ = ['Group.Read.All', 'Group.ReadWrite.All'];
const WRITE = ['Group.ReadWrite.All'];
const PAGE = { defaultTop: 10, maxTop: 1000 };

export function groupRoutes(store: TenantStore): RouteDef[] {
  const groupScope = exchangeScope(store, 'group');
  const r = (
    method: string,
    path: string,
    permissions: string[],
    handler: RouteDef['handler'],
  ): RouteDef => ({
    method,
    path: `/groups/{group}${path}`,
    permissions,
    scope: groupScope,
    handler,
  });
  /** A delegated caller reaches only the conversations of groups it belongs to. */
  const group = (req: EmuRequest) =>
    requireGroupAccess(req, requireUnified(store, req.params['group'] ?? ''));
  const seg = (req: EmuRequest) => `groups('${req.params['group'] ?? ''}')`;
  const thread = (req: EmuRequest, g: GroupRecord): GroupThreadRecord => {
    const [key] = groupKeysOf(g.id, req.params['thread'] ?? '', 'thread');
    const t = groupThreads(store, g).get(key ?? '');
    if (!t) throw itemNotFound();
    if (req.params['conv'] !== undefined && conversationIdFor(g.id, t.conversationKey) !== req.params['conv'])
      throw itemNotFound();
    return t;
  };
  const convThreads = (req: EmuRequest, g: GroupRecord) => {
    const [key] = groupKeysOf(g.id, req.params['conv'] ?? '', 'conversation');
    const list = groupThreads(store, g)
      .values()
      .filter((t) => t.conversationKey === key);
    if (!list.length) throw itemNotFound();
    return { key: key as string, list };
  };
  const post = (req: EmuRequest, g: GroupRecord, t: GroupThreadRecord) => {
    const [tk, pk] = groupKeysOf(g.id, req.params['post'] ?? '', 'post');
    const rec = tk === t.key ? groupPosts(store, g, t).get(pk ?? '') : undefined;
    if (!rec) throw itemNotFound();
    return postView(store, g, t, rec);
  };
  const byDate = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    String(b['lastDeliveredDateTime']).localeCompare(String(a['lastDeliveredDateTime']));
  const routes: RouteDef[] = [
    r('GET', '/conversations', READ, (req) => {
      const g = group(req);
      const byConv = new Map<string, GroupThreadRecord[]>();
      for (const t of groupThreads(store, g).values())
        byConv.set(t.conversationKey, [...(byConv.get(t.conversationKey) ?? []), t]);
      const list = [...byConv].map(([k, ts]) => conversationJson(store, g, k, ts)).sort(byDate);
      return pageArray(req, `${seg(req)}/conversations`, list, (c) => c, PAGE);
    }),
    r('GET', '/conversations/{conv}', READ, (req) => {
      const g = group(req);
      const { key, list } = convThreads(req, g);
      return ok({
        '@odata.context': contextUrl(req, `${seg(req)}/conversations/$entity`),
        ...select(req, conversationJson(store, g, key, list)),
      });
    }),
    r('GET', '/conversations/{conv}/threads', READ, (req) => {
      const g = group(req);
      const list = convThreads(req, g)
        .list.map((t) => threadJson(store, g, t))
        .sort(byDate);
      return pageArray(
        req,
        `${seg(req)}/conversations('${req.params['conv']}')/threads`,
        list,
        (t) => t,
        PAGE,
      );
    }),
    r('GET', '/threads', READ, (req) => {
      const g = group(req);
      const list = groupThreads(store, g)
        .values()
        .map((t) => threadJson(store, g, t))
        .sort(byDate);
      return pageArray(req, `${seg(req)}/threads`, list, (t) => t, PAGE);
    }),
    r('POST', '/threads', WRITE, (req) => createThread(req, store, group(req), jsonBody(req))),
    r('POST', '/conversations', WRITE, (req) => {
      const g = group(req);
      const b = jsonBody(req);
      const first = Array.isArray(b['threads']) ? (b['threads'] as Record<string, unknown>[])[0] : undefined;
      if (!first)
        throw badRequest("A conversation needs 'threads' with at least one post.", 'ErrorInvalidRequest');
      const t = createThreadRecord(store, g, { topic: b['topic'], posts: first['posts'] });
      return ok(
        {
          '@odata.context': contextUrl(req, `${seg(req)}/conversations/$entity`),
          ...conversationJson(store, g, t.conversationKey, [t]),
        },
        201,
      );
    }),
    r('DELETE', '/conversations/{conv}', WRITE, (req) => {
      const g = group(req);
      for (const t of convThreads(req, g).list) store.remove(threadsKey(g.id), t.key);
      return noContent();
    }),
  ];
  for (const tp of ['/threads/{thread}', '/conversations/{conv}/threads/{thread}']) {
    routes.push(
      r('GET', tp, READ, (req) => {
        const g = group(req);
        return ok({
          '@odata.context': contextUrl(req, `${seg(req)}/threads/$entity`),
          ...select(req, threadJson(store, g, thread(req, g))),
        });
      }),
      r('DELETE', tp, WRITE, (req) => {
        const g = group(req);
        store.remove(threadsKey(g.id), thread(req, g).key);
        return noContent();
      }),
      r('POST', `${tp}/reply`, WRITE, (req) => {
        const g = group(req);
        const t = thread(req, g);
        const posts = postsOf(store, g, t);
        storePost(
          store,
          g,
          t,
          jsonBody(req)['post'] as Record<string, unknown> | undefined,
          posts[posts.length - 1]?.id ?? null,
        );
        return { status: 202 };
      }),
      r('GET', `${tp}/posts`, READ, (req) => {
        const g = group(req);
        const t = thread(req, g);
        const posts = postsOf(store, g, t);
        return pageArray(
          req,
          `${seg(req)}/threads('${req.params['thread']}')/posts`,
          posts,
          (p) => postJson(g, t, p, replyTarget(p, posts)),
          PAGE,
        );
      }),
      r('GET', `${tp}/posts/{post}`, READ, (req) => {
        const g = group(req);
        const t = thread(req, g);
        const p = post(req, g, t);
        return ok({
          '@odata.context': contextUrl(req, `${seg(req)}/threads('${req.params['thread']}')/posts/$entity`),
          ...select(req, postJson(g, t, p, replyTarget(p, postsOf(store, g, t)))),
        });
      }),
      r('GET', `${tp}/posts/{post}/attachments`, READ, async (req) => {
        const g = group(req);
        const p = post(req, g, thread(req, g));
        const value = await Promise.all(
          p.attachments.map(async (a) =>
            select(req, await attachmentJson(a, { withContent: true, expandItem: false })),
          ),
        );
        return ok({
          '@odata.context': contextUrl(
            req,
            `${seg(req)}/threads('${req.params['thread']}')/posts('${req.params['post']}')/attachments`,
          ),
          value,
        });
      }),
      r('GET', `${tp}/posts/{post}/attachments/{att}`, READ, async (req) => {
        const g = group(req);
        const t = thread(req, g);
        const p = post(req, g, t);
        const { itemKey, attKey } = attachmentKeysOf(g.id, req.params['att'] ?? '');
        const a =
          itemKey === `${t.key}/${p.rec.key}` ? p.attachments.find((x) => x.key === attKey) : undefined;
        if (!a) throw itemNotFound();
        return ok({
          '@odata.context': contextUrl(
            req,
            `${seg(req)}/threads('${req.params['thread']}')/posts('${req.params['post']}')/attachments/$entity`,
          ),
          ...select(
            req,
            await attachmentJson(a, {
              withContent: true,
              expandItem: /itemattachment\/item/i.test(req.query.get('$expand') ?? ''),
            }),
          ),
        });
      }),
    );
  }
  return routes;
}

function createThread(req: EmuRequest, store: TenantStore, g: GroupRecord, b: Record<string, unknown>) {
  const t = createThreadRecord(store, g, b);
  return ok(
    { '@odata.context': contextUrl(req, `groups('${g.id}')/threads/$entity`), ...threadJson(store, g, t) },
    201,
  );
}
