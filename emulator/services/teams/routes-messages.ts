import { deltaPage } from '../../core/listing.js';
import { GraphHttpError, contextUrl, encodeToken, ok, select } from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import { buildPng } from '../../generator/formats/index.js';
import { GENERATED_EPOCH } from '../../tenant/directory.js';
import type { TenantStore } from '../../tenant/store.js';
import { seededImageRandom } from './content.js';
import { messageJson } from './json.js';
import {
  postsOf,
  repliesOf,
  requireChannel,
  requirePost,
  requireReply,
  type ChannelRecord,
  type MessageRecord,
} from './model.js';
import { pageByKey } from './paging.js';
import { MESSAGE_READ, channelScope } from './perms.js';
import { otherStartOver } from '../shared/resync.js';

const enc = encodeURIComponent;
/** Replies inlined by `$expand=replies` before `replies@odata.nextLink` takes over. */
const EXPANDED_REPLIES = 1000;
/** Channel message delta only reaches this far back (older messages: list messages). */
const DELTA_WINDOW_MONTHS = 8;

/** Teams rejects page sizes outside 1..50 rather than clamping them. */
export function teamsTop(req: EmuRequest, defaultTop = 20): number {
  const raw = req.query.get('$top') ?? req.query.get('top');
  if (raw === null) return defaultTop;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 50) {
    throw new GraphHttpError(
      400,
      'BadRequest',
      `Invalid page size specified: '${raw}'. Must be between 1 and 50 inclusive.`,
    );
  }
  return n;
}

const byIdDesc = (a: MessageRecord, b: MessageRecord) => Number(b.id) - Number(a.id);

function expandsReplies(req: EmuRequest): boolean {
  const expand = (req.query.get('$expand') ?? '').split(',').map((s) => s.trim());
  if (expand.some((e) => e && e !== 'replies'))
    throw new GraphHttpError(
      400,
      'BadRequest',
      `Expand of '${expand.join(',')}' is not supported. Only 'replies' can be expanded.`,
    );
  return expand.includes('replies');
}

function messageContext(req: EmuRequest, c: ChannelRecord, tail: string): string {
  return contextUrl(req, `teams('${req.params['team']}')/channels('${enc(c.id)}')/${tail}`);
}

/** The message with its replies inlined, as `$expand=replies` returns it. */
function withReplies(
  store: TenantStore,
  req: EmuRequest,
  m: MessageRecord,
  json: Record<string, unknown>,
): Record<string, unknown> {
  const replies = repliesOf(store, m).values().sort(byIdDesc);
  const out: Record<string, unknown> = { ...json, 'replies@odata.count': replies.length };
  if (replies.length > EXPANDED_REPLIES) {
    const last = replies[EXPANDED_REPLIES - 1] as MessageRecord;
    out['replies@odata.nextLink'] =
      `${req.origin}/${req.apiVersion}/teams/${m.teamId}/channels/${m.channelId}/messages/${m.id}/replies?$skiptoken=${encodeToken({ k: Number(last.id) })}`;
  }
  out['replies'] = replies.slice(0, EXPANDED_REPLIES).map((r) => messageJson(store, req, r));
  return out;
}

/**
 * Where channel message delta starts: 8 months back, measured from the earlier of now and the
 * seed's epoch. Seeded history is dated before GENERATED_EPOCH, so measured from the wall clock
 * alone the window would slide past it (a seeded channel's delta would depend on the day, and
 * soon be empty); runtime posts are newer than the start either way.
 */
export function deltaWindowStart(nowMs = Date.now()): number {
  const since = new Date(Math.min(nowMs, GENERATED_EPOCH));
  since.setUTCMonth(since.getUTCMonth() - DELTA_WINDOW_MONTHS);
  return since.getTime();
}

/** `$filter` on message delta: only `lastModifiedDateTime gt {dateTime}` is supported. */
function deltaFilter(req: EmuRequest): (m: MessageRecord) => boolean {
  const raw = req.query.get('$filter');
  const windowStart = deltaWindowStart();
  let after = -Infinity;
  if (raw) {
    const m = /^\s*lastModifiedDateTime\s+gt\s+'?([0-9TZ:.+-]+)'?\s*$/i.exec(raw);
    const t = m ? Date.parse(m[1] as string) : NaN;
    if (Number.isNaN(t))
      throw new GraphHttpError(
        400,
        'BadRequest',
        "Only 'lastModifiedDateTime gt {dateTime}' is supported in $filter for channel message delta.",
      );
    after = t;
  }
  return (msg) => {
    const modified = Date.parse(msg.lastModifiedDateTime);
    return modified >= windowStart && modified > after;
  };
}

/** An expired or unknown delta token: start over with a full round (see shared/resync.ts). */
export const messagesDeltaExpired = otherStartOver;

function hostedBytes(store: TenantStore, m: MessageRecord, hostedId: string): EmuResponse {
  const h = m.hostedContents.find((x) => x.id === hostedId);
  if (!h) throw new GraphHttpError(404, 'NotFound', 'Hosted content not found.');
  const headers = { 'content-type': h.contentType };
  if (h.blob) return { status: 200, headers, stream: store.blobs.body(h.blob) };
  return {
    status: 200,
    headers,
    body: buildPng(seededImageRandom(store, m, h.id), h.width ?? 64, h.height ?? 64),
  };
}

/** Channel messages: list, get, replies, delta and inline images. */
export function messageRoutes(ctx: ServiceContext): RouteDef[] {
  const { store } = ctx;
  const get = (path: string, handler: RouteDef['handler'], extra: Partial<RouteDef> = {}): RouteDef => ({
    method: 'GET',
    path,
    permissions: MESSAGE_READ,
    scope: channelScope,
    handler,
    ...extra,
  });
  const channelOf = (req: EmuRequest) =>
    requireChannel(store, req.params['team'] as string, req.params['channel'] as string);
  const postOf = (req: EmuRequest) => requirePost(store, channelOf(req), req.params['message'] as string);
  const replyOf = (req: EmuRequest) => requireReply(store, postOf(req), req.params['reply'] as string);
  const base = '/teams/{team}/channels/{channel}/messages';

  const hostedRoutes = (path: string, find: (req: EmuRequest) => MessageRecord): RouteDef[] => [
    get(`${path}/hostedContents`, (req) => {
      const m = find(req);
      const value = m.hostedContents.map((h) => ({ id: h.id, contentBytes: null, contentType: null }));
      return ok({
        '@odata.context': messageContext(
          req,
          channelOf(req),
          `messages('${m.replyToId ?? m.id}')/hostedContents`,
        ),
        '@odata.count': value.length,
        value,
      });
    }),
    get(`${path}/hostedContents/{hosted}`, (req) => {
      const m = find(req);
      const h = m.hostedContents.find((x) => x.id === req.params['hosted']);
      if (!h) throw new GraphHttpError(404, 'NotFound', 'Hosted content not found.');
      return ok({
        '@odata.context': messageContext(req, channelOf(req), 'hostedContents/$entity'),
        id: h.id,
        contentBytes: null,
        contentType: null,
      });
    }),
    get(`${path}/hostedContents/{hosted}/$value`, (req) =>
      hostedBytes(store, find(req), req.params['hosted'] as string),
    ),
  ];

  return [
    get(base, (req) => {
      const c = channelOf(req);
      const top = teamsTop(req);
      const expand = expandsReplies(req);
      const project = (m: MessageRecord) => {
        const json = messageJson(store, req, m);
        return select(req, expand ? withReplies(store, req, m, json) : json);
      };
      return pageByKey(
        req,
        `teams('${req.params['team']}')/channels('${enc(c.id)}')/messages`,
        postsOf(store, c).values(),
        project,
        {
          key: (m) => Number(m.id),
          descending: true,
          top,
          extra: (page) => ({ '@odata.count': page.length }),
        },
      );
    }),
    get(
      `${base}/delta`,
      (req) => {
        const c = channelOf(req);
        teamsTop(req);
        if (req.query.has('$skip'))
          throw new GraphHttpError(
            400,
            'BadRequest',
            '$skip is not supported by this emulator for channel message delta.',
          );
        const expand = expandsReplies(req);
        const out = deltaPage<MessageRecord>(req, {
          collection: postsOf(store, c),
          context: 'Collection(chatMessage)',
          project: (m) => {
            const json = messageJson(store, req, m, true);
            return expand ? withReplies(store, req, m, json) : json;
          },
          filter: deltaFilter(req),
          style: 'odata',
          defaultTop: 20,
          maxTop: 50,
          removalsInInitialRound: false,
        });
        return out.expired ? messagesDeltaExpired(req) : out.response;
      },
      { deltaExpired: messagesDeltaExpired },
    ),
    get(`${base}/{message}`, (req) => {
      const m = postOf(req);
      const json = {
        '@odata.context': messageContext(req, channelOf(req), 'messages/$entity'),
        ...messageJson(store, req, m),
      };
      return ok(select(req, expandsReplies(req) ? withReplies(store, req, m, json) : json));
    }),
    get(`${base}/{message}/replies`, (req) => {
      const post = postOf(req);
      const top = teamsTop(req);
      const replies = repliesOf(store, post).values();
      return pageByKey(
        req,
        `teams('${req.params['team']}')/channels('${enc(post.channelId)}')/messages('${post.id}')/replies`,
        replies,
        (m) => select(req, messageJson(store, req, m)),
        {
          key: (m) => Number(m.id),
          descending: true,
          top,
          extra: () => ({ '@odata.count': replies.length }),
        },
      );
    }),
    get(`${base}/{message}/replies/{reply}`, (req) => {
      const m = replyOf(req);
      return ok(
        select(req, {
          '@odata.context': messageContext(req, channelOf(req), `messages('${m.replyToId}')/replies/$entity`),
          ...messageJson(store, req, m),
        }),
      );
    }),
    ...hostedRoutes(`${base}/{message}`, postOf),
    ...hostedRoutes(`${base}/{message}/replies/{reply}`, replyOf),
  ];
}
