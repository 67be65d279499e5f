import { GraphHttpError, badRequest, contextUrl, jsonBody, noContent, ok } from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { Caller, EmuRequest, RouteDef } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { requireGroup } from '../directory-records.js';
import { userRef } from './content.js';
import { channelJson, messageJson } from './json.js';
import {
  channelsKey,
  postsOf,
  repliesOf,
  requireChannel,
  requirePost,
  requireTeam,
  stateKey,
  str,
  teamState,
  type ChannelRecord,
  type MembershipType,
  type MessageRecord,
} from './model.js';
import { CHANNEL_CREATE, MESSAGE_POST, MIGRATE, TEAM_CREATE, channelScope, teamScope } from './perms.js';
import {
  addChannel,
  addMessage,
  addTeam,
  forbidden,
  pastDate,
  setChannelMigration,
  type NewMessage,
} from './writes.js';
import { isoMillis } from '../shared/time.js';

const enc = encodeURIComponent;
const IMPORT_ONLY =
  'Message POST is allowed in application-only context only for import purposes. Refer to https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/import-external-messages-to-teams for more details.';

type Body = Record<string, unknown>;

/** `users('id')`, `users/id` or a bare id from a `user@odata.bind`. */
function boundUser(store: TenantStore, bind: unknown): string {
  const raw = str(bind);
  const m = /users(?:\('([^']+)'\)|\/([^/?]+))\s*$/.exec(raw);
  const key = decodeURIComponent(m?.[1] ?? m?.[2] ?? raw);
  const u = store.findUser(key);
  if (!u) throw new GraphHttpError(404, 'NotFound', `User '${key}' was not found.`);
  return u.id;
}

/** Owners and members from a `members` array of aadUserConversationMember bindings. */
function roster(store: TenantStore, members: unknown): { ownerIds: string[]; memberIds: string[] } {
  if (members === undefined) return { ownerIds: [], memberIds: [] };
  if (!Array.isArray(members)) throw badRequest("'members' must be an array.");
  const ownerIds: string[] = [];
  const memberIds: string[] = [];
  for (const m of members as Body[]) {
    const id = boundUser(store, m['user@odata.bind']);
    if (!memberIds.includes(id)) memberIds.push(id);
    if (Array.isArray(m['roles']) && (m['roles'] as unknown[]).includes('owner') && !ownerIds.includes(id))
      ownerIds.push(id);
  }
  return { ownerIds, memberIds };
}

function requireMigrate(caller: Caller): void {
  if (!caller.permissions.has('Teamwork.Migrate.All')) throw forbidden(MIGRATE, caller.permissions);
}

/** The parts of a chatMessage body a client may send. */
function messageInput(body: Body): Omit<NewMessage, 'from' | 'createdMs'> {
  const b = body['body'] as Body | undefined;
  if (!b || typeof b['content'] !== 'string')
    throw badRequest("The message 'body' with 'content' is required.");
  const contentType = b['contentType'] === 'html' ? 'html' : 'text';
  const hosted = body['hostedContents'];
  if (hosted !== undefined && !Array.isArray(hosted)) throw badRequest("'hostedContents' must be an array.");
  return {
    body: { contentType, content: b['content'] },
    subject: typeof body['subject'] === 'string' ? body['subject'] : null,
    importance:
      body['importance'] === 'high' || body['importance'] === 'urgent' ? body['importance'] : 'normal',
    mentions: Array.isArray(body['mentions']) ? (body['mentions'] as Body[]) : [],
    attachments: Array.isArray(body['attachments']) ? (body['attachments'] as Body[]) : [],
    hostedContents: ((hosted ?? []) as Body[]).map((h) => {
      const temporaryId = str(h['@microsoft.graph.temporaryId']);
      if (!temporaryId || typeof h['contentBytes'] !== 'string')
        throw badRequest("Each hosted content needs '@microsoft.graph.temporaryId' and 'contentBytes'.");
      return {
        temporaryId,
        bytes: Buffer.from(h['contentBytes'], 'base64'),
        contentType: str(h['contentType'], 'image/png'),
      };
    }),
  };
}

/**
 * Posting as Graph allows it: an application token may only import into a channel in migration
 * mode (back-dated `createdDateTime`, any `from`; 200 OK); a user token posts as itself (201).
 */
function postMessage(store: TenantStore, req: EmuRequest, channel: ChannelRecord, parent?: MessageRecord) {
  const caller = req.caller as Caller;
  const body = jsonBody<Body>(req);
  const input = messageInput(body);
  if (caller.kind === 'app') {
    if (channel.migrationMode !== 'inProgress') throw new GraphHttpError(401, 'Unauthorized', IMPORT_ONLY);
    requireMigrate(caller);
    const created =
      body['createdDateTime'] === undefined
        ? Date.now()
        : pastDate(body['createdDateTime'], 'createdDateTime');
    if (created < Date.parse(channel.createdDateTime))
      throw badRequest("Messages with a 'createdDateTime' earlier than the channel's are not supported.");
    if (parent && created < Date.parse(parent.createdDateTime))
      throw badRequest("A reply's 'createdDateTime' cannot be earlier than its parent message's.");
    const taken =
      postsOf(store, channel).has(String(created)) ||
      (parent ? repliesOf(store, parent).has(String(created)) : false);
    if (taken) throw badRequest("'createdDateTime' must be unique across messages in the same thread.");
    const from = ((body['from'] as Body | undefined)?.['user'] ?? null) as Body | null;
    if (!from || typeof from['id'] !== 'string')
      throw badRequest("An imported message needs 'from.user.id'.");
    const sender = {
      id: from['id'],
      displayName: typeof from['displayName'] === 'string' ? from['displayName'] : null,
    };
    const m = addMessage(store, channel, { ...input, from: sender, createdMs: created }, parent);
    return ok({ '@odata.context': messageContext(req, channel, parent), ...messageJson(store, req, m) }, 200);
  }
  if (channel.migrationMode === 'inProgress')
    throw new GraphHttpError(
      403,
      'Forbidden',
      'The channel is in migration mode; only the migration application can post.',
    );
  if (body['createdDateTime'] !== undefined)
    throw badRequest(
      "'createdDateTime' can only be set when importing messages into a channel in migration mode.",
    );
  const m = addMessage(
    store,
    channel,
    { ...input, from: userRef(store, caller.userId ?? ''), createdMs: Date.now() },
    parent,
  );
  return ok({ '@odata.context': messageContext(req, channel, parent), ...messageJson(store, req, m) }, 201);
}

function messageContext(req: EmuRequest, channel: ChannelRecord, parent?: MessageRecord): string {
  const tail = parent ? `messages('${parent.id}')/replies/$entity` : 'messages/$entity';
  return contextUrl(req, `teams('${req.params['team']}')/channels('${enc(channel.id)}')/${tail}`);
}

/** Team and channel creation, message posting and import, migration start and completion. */
export function writeRoutes(ctx: ServiceContext): RouteDef[] {
  const { store, random } = ctx;
  const channelOf = (req: EmuRequest) =>
    requireChannel(store, req.params['team'] as string, req.params['channel'] as string);
  const post = (
    path: string,
    permissions: string[],
    scope: RouteDef['scope'],
    handler: RouteDef['handler'],
  ): RouteDef => ({ method: 'POST', path, permissions, scope, handler });

  return [
    post(
      '/teams',
      TEAM_CREATE,
      () => ({ kind: 'none' }),
      (req) => {
        const caller = req.caller as Caller;
        const body = jsonBody<Body>(req);
        const mode = body['@microsoft.graph.teamCreationMode'];
        if (mode !== undefined && mode !== 'migration')
          throw badRequest("Invalid value for '@microsoft.graph.teamCreationMode'.");
        const migration = mode === 'migration';
        const template = /teamsTemplates\('([^']+)'\)/.exec(str(body['template@odata.bind']))?.[1];
        if (!template) throw badRequest("'template@odata.bind' is required.");
        if (migration && template !== 'standard')
          throw badRequest('Teams created in migration mode only support the standard template.');
        if (migration) requireMigrate(caller);
        else if (
          !['Team.Create', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'].some((p) =>
            caller.permissions.has(p),
          )
        ) {
          throw forbidden(
            ['Team.Create', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
            caller.permissions,
          );
        }
        if (body['createdDateTime'] !== undefined && !migration)
          throw badRequest(
            "'createdDateTime' requires '@microsoft.graph.teamCreationMode' set to 'migration'.",
          );
        const createdMs =
          body['createdDateTime'] === undefined ? null : pastDate(body['createdDateTime'], 'createdDateTime');
        const groupBind = /groups\('([^']+)'\)/.exec(str(body['group@odata.bind']))?.[1];
        const { ownerIds, memberIds } = roster(store, body['members']);
        let result;
        if (groupBind) {
          const g = requireGroup(store, groupBind);
          if (g.resourceProvisioningOptions.includes('Team'))
            throw new GraphHttpError(409, 'Conflict', 'The group already has a team.');
          if (g.ownerIds.length === 0)
            throw badRequest('A team can only be created from a group with at least one owner.');
          result = addTeam(
            store,
            {
              displayName: g.displayName,
              description: g.description,
              visibility: g.visibility ?? 'Private',
              migration,
              createdDateTime: null,
              ownerIds: g.ownerIds,
              memberIds: g.memberIds,
              group: g,
            },
            random,
          );
        } else {
          if (typeof body['displayName'] !== 'string' || !body['displayName'].trim())
            throw badRequest("'displayName' is required.");
          if (caller.kind === 'app' && !migration && ownerIds.length === 0)
            throw badRequest('A team created with application permissions needs an owner in members.');
          const visibility =
            str(body['visibility'], 'public').toLowerCase() === 'private' ? 'Private' : 'Public';
          const owners =
            caller.kind === 'user' && caller.userId && ownerIds.length === 0 ? [caller.userId] : ownerIds;
          const description = typeof body['description'] === 'string' ? body['description'] : null;
          result = addTeam(
            store,
            {
              displayName: body['displayName'],
              description,
              visibility,
              migration,
              createdDateTime: createdMs === null ? null : isoMillis(createdMs),
              ownerIds: owners,
              memberIds: [...new Set([...owners, ...memberIds])],
            },
            random,
          );
        }
        const id = result.team.id;
        return {
          status: 202,
          headers: {
            location: `/teams('${id}')/operations('${result.state.operationId}')`,
            'content-location': `/teams('${id}')`,
          },
          body: '',
        };
      },
    ),
    post('/teams/{team}/channels', CHANNEL_CREATE, teamScope, (req) => {
      const caller = req.caller as Caller;
      const team = requireTeam(store, req.params['team'] as string);
      const body = jsonBody<Body>(req);
      const mode = body['@microsoft.graph.channelCreationMode'];
      if (mode !== undefined && mode !== 'migration')
        throw badRequest("Invalid value for '@microsoft.graph.channelCreationMode'.");
      const migration = mode === 'migration';
      if (migration) requireMigrate(caller);
      else if (
        !['Channel.Create', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'].some((p) =>
          caller.permissions.has(p),
        )
      ) {
        throw forbidden(
          ['Channel.Create', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'],
          caller.permissions,
        );
      }
      if (body['createdDateTime'] !== undefined && !migration)
        throw badRequest(
          "'createdDateTime' requires '@microsoft.graph.channelCreationMode' set to 'migration'.",
        );
      const createdMs =
        body['createdDateTime'] === undefined
          ? Date.now()
          : pastDate(body['createdDateTime'], 'createdDateTime');
      const type = str(body['membershipType'], 'standard') as MembershipType;
      if (!['standard', 'private', 'shared'].includes(type))
        throw badRequest(`Invalid membershipType '${type}'.`);
      const members = roster(store, body['members']);
      if (type !== 'standard' && caller.kind === 'app' && members.ownerIds.length === 0)
        throw badRequest('A private or shared channel needs an owner in members.');
      const c = addChannel(
        store,
        team,
        {
          displayName: str(body['displayName']),
          description: typeof body['description'] === 'string' ? body['description'] : null,
          membershipType: type,
          migration,
          createdMs,
          ...members,
        },
        random,
      );
      const headers: Record<string, string> = migration
        ? { location: `/teams('${team.id}')/channels('${c.id}')` }
        : {};
      return ok(
        {
          '@odata.context': contextUrl(req, `teams('${team.id}')/channels/$entity`),
          ...channelJson(store, c),
        },
        201,
        headers,
      );
    }),
    post('/teams/{team}/channels/{channel}/messages', MESSAGE_POST, channelScope, (req) =>
      postMessage(store, req, channelOf(req)),
    ),
    post('/teams/{team}/channels/{channel}/messages/{message}/replies', MESSAGE_POST, channelScope, (req) => {
      const c = channelOf(req);
      return postMessage(store, req, c, requirePost(store, c, req.params['message'] as string));
    }),
    post('/teams/{team}/completeMigration', MIGRATE, teamScope, (req) => {
      const team = requireTeam(store, req.params['team'] as string);
      const state = teamState(store, team.id);
      if (!state || state.migrationMode !== 'inProgress')
        throw badRequest('The team is not in migration mode.');
      store.put(stateKey, team.id, { ...state, migrationMode: 'completed' });
      // Once the team is complete nothing more can be imported into it.
      for (const c of store.collection<ChannelRecord>(channelsKey(team.id)).values()) {
        if (c.migrationMode === 'inProgress') setChannelMigration(store, c, 'completed');
      }
      return noContent();
    }),
    post('/teams/{team}/channels/{channel}/completeMigration', MIGRATE, channelScope, (req) => {
      const c = channelOf(req);
      if (c.migrationMode !== 'inProgress') throw badRequest('The channel is not in migration mode.');
      setChannelMigration(store, c, 'completed');
      return noContent();
    }),
    post('/teams/{team}/channels/{channel}/startMigration', MIGRATE, channelScope, (req) => {
      const c = channelOf(req);
      if (c.migrationMode === 'inProgress') throw badRequest('The channel is already in migration mode.');
      const body = req.body.length ? jsonBody<Body>(req) : {};
      let created: string | undefined;
      if (body['conversationCreationDateTime'] !== undefined) {
        const t = pastDate(body['conversationCreationDateTime'], 'conversationCreationDateTime');
        if (t >= Date.parse(c.createdDateTime))
          throw badRequest(
            "'conversationCreationDateTime' must be older than the channel's createdDateTime.",
          );
        created = isoMillis(t);
      }
      setChannelMigration(store, c, 'inProgress', created);
      return noContent();
    }),
  ];
}
