import { compileFilter } from '../../core/filter.js';
import { pageArray } from '../../core/listing.js';
import { contextUrl, ok, select } from '../../core/odata.js';
import type { ServiceContext } from '../../core/service.js';
import type { EmuRequest, RouteDef } from '../../core/types.js';
import { requireGroup } from '../directory-records.js';
import { channelFilesFolder } from '../drives/api.js';
import { channelJson, channelTabs, memberJson, teamJson, teamSummary } from './json.js';
import {
  allTeams,
  channelNotFound,
  channelRoster,
  channelsKey,
  incomingChannels,
  requireChannel,
  requireTeam,
  teamNotFound,
  teamRoster,
  teamState,
  isTeam,
  type ChannelRecord,
} from './model.js';
import {
  CHANNEL_MEMBER_READ,
  CHANNEL_READ,
  FILES_FOLDER,
  TABS_READ,
  TEAM_MEMBER_READ,
  TEAM_READ,
  TEAMS_LIST,
  channelScope,
  teamScope,
} from './perms.js';

const enc = encodeURIComponent;

function filtered<T>(req: EmuRequest, rows: T[], toRow: (t: T) => Record<string, unknown>): T[] {
  const f = req.query.get('$filter');
  if (!f) return rows;
  const test = compileFilter(f);
  return rows.filter((r) => test(toRow(r)));
}

/** Read routes for teams, channels, members and tabs. */
export function teamRoutes(ctx: ServiceContext): RouteDef[] {
  const { store } = ctx;
  const channelsOf = (teamId: string) => store.collection<ChannelRecord>(channelsKey(teamId)).values();
  const teamResponse = (req: EmuRequest, teamId: string) => {
    const g = requireTeam(store, teamId);
    const wantsSummary = (req.query.get('$select') ?? '').split(',').includes('summary');
    const body = {
      '@odata.context': contextUrl(req, 'teams/$entity'),
      ...teamJson(store, g),
      ...(wantsSummary ? { summary: teamSummary(store, g) } : {}),
    };
    return ok(select(req, body));
  };
  const channelList = (req: EmuRequest, teamId: string, channels: ChannelRecord[]) =>
    pageArray(
      req,
      `teams('${teamId}')/channels`,
      filtered(req, channels, (c) => channelJson(store, c)),
      (c) => channelJson(store, c),
      { defaultTop: 1000, maxTop: 1000 },
    );
  const hostTeam = (c: ChannelRecord) => requireTeam(store, c.teamId);

  return [
    {
      method: 'GET',
      path: '/teams',
      permissions: TEAMS_LIST,
      handler: (req) => {
        // Graph's list returns only id, displayName and description (use GET /teams/{id} for the rest).
        const basic = (g: ReturnType<typeof allTeams>[number]) => ({
          id: g.id,
          displayName: g.displayName,
          description: g.description,
        });
        return pageArray(req, 'teams', filtered(req, allTeams(store), basic), basic, {
          defaultTop: 100,
          maxTop: 999,
        });
      },
    },
    {
      method: 'GET',
      path: '/teams/{team}',
      permissions: TEAM_READ,
      scope: teamScope,
      handler: (req) => teamResponse(req, req.params['team'] as string),
    },
    {
      method: 'GET',
      path: '/groups/{group}/team',
      permissions: TEAM_READ,
      scope: (req) => ({ kind: 'teams', channel: req.params['group'] ?? '' }),
      handler: (req) => {
        const g = requireGroup(store, req.params['group'] as string);
        if (!isTeam(g)) throw teamNotFound(g.id);
        return teamResponse(req, g.id);
      },
    },
    // POST /teams answers with OData key syntax in Location / Content-Location; clients follow them as given.
    {
      method: 'GET',
      path: "/teams('{team}')",
      permissions: TEAM_READ,
      scope: teamScope,
      handler: (req) => teamResponse(req, req.params['team'] as string),
    },
    ...['/teams/{team}/operations/{operation}', "/teams('{team}')/operations('{operation}')"].map(
      (path): RouteDef => ({
        method: 'GET',
        path,
        permissions: TEAM_READ,
        scope: teamScope,
        handler: (req) => {
          const g = requireTeam(store, req.params['team'] as string);
          const state = teamState(store, g.id);
          if (!state || state.operationId !== req.params['operation']) throw teamNotFound(g.id);
          const at = state.operationCreatedDateTime;
          return ok({
            '@odata.context': contextUrl(req, `teams('${g.id}')/operations/$entity`),
            id: state.operationId,
            operationType: 'createTeam',
            createdDateTime: at,
            status: 'succeeded',
            lastActionDateTime: at,
            attemptsCount: 1,
            targetResourceId: g.id,
            targetResourceLocation: `/teams('${g.id}')`,
            error: null,
          });
        },
      }),
    ),
    {
      method: 'GET',
      path: '/teams/{team}/channels',
      permissions: CHANNEL_READ,
      scope: teamScope,
      handler: (req) => {
        const g = requireTeam(store, req.params['team'] as string);
        return channelList(req, g.id, channelsOf(g.id));
      },
    },
    {
      method: 'GET',
      path: '/teams/{team}/allChannels',
      permissions: CHANNEL_READ,
      scope: teamScope,
      handler: (req) => {
        const g = requireTeam(store, req.params['team'] as string);
        return channelList(req, g.id, [...channelsOf(g.id), ...incomingChannels(store, g.id)]);
      },
    },
    {
      method: 'GET',
      path: '/teams/{team}/incomingChannels',
      permissions: CHANNEL_READ,
      scope: teamScope,
      handler: (req) => {
        const g = requireTeam(store, req.params['team'] as string);
        return channelList(req, g.id, incomingChannels(store, g.id));
      },
    },
    {
      method: 'GET',
      path: '/teams/{team}/primaryChannel',
      permissions: CHANNEL_READ,
      scope: teamScope,
      handler: (req) => {
        const g = requireTeam(store, req.params['team'] as string);
        const general = channelsOf(g.id).find((c) => c.isGeneral);
        if (!general) throw channelNotFound();
        return ok(
          select(req, {
            '@odata.context': contextUrl(req, `teams('${g.id}')/primaryChannel/$entity`),
            ...channelJson(store, general),
          }),
        );
      },
    },
    {
      method: 'GET',
      path: '/teams/{team}/channels/{channel}',
      permissions: CHANNEL_READ,
      scope: channelScope,
      handler: (req) => {
        const c = requireChannel(store, req.params['team'] as string, req.params['channel'] as string);
        return ok(
          select(req, {
            '@odata.context': contextUrl(req, `teams('${req.params['team']}')/channels/$entity`),
            ...channelJson(store, c),
          }),
        );
      },
    },
    {
      // The channel's folder in the team site's default library (drives service). Private and
      // shared channels have their own sites in SharePoint; here they use the team site too.
      method: 'GET',
      path: '/teams/{team}/channels/{channel}/filesFolder',
      permissions: FILES_FOLDER,
      scope: channelScope,
      handler: (req) => {
        const c = requireChannel(store, req.params['team'] as string, req.params['channel'] as string);
        const siteId = hostTeam(c).siteId;
        if (!siteId) throw channelNotFound();
        const folder = channelFilesFolder(store, siteId, c.displayName);
        return ok({
          '@odata.context': contextUrl(
            req,
            `teams('${req.params['team']}')/channels('${enc(c.id)}')/filesFolder/$entity`,
          ),
          ...folder,
        });
      },
    },
    {
      method: 'GET',
      path: '/teams/{team}/members',
      permissions: TEAM_MEMBER_READ,
      scope: teamScope,
      handler: (req) => {
        const g = requireTeam(store, req.params['team'] as string);
        const members = teamRoster(store, g).map((m) => memberJson(store, g.id, m.userId, m.roles));
        return pageArray(
          req,
          `teams('${g.id}')/members`,
          filtered(req, members, (m) => m),
          (m) => m,
          { defaultTop: 1000, maxTop: 1000 },
        );
      },
    },
    {
      method: 'GET',
      path: '/teams/{team}/members/{member}',
      permissions: TEAM_MEMBER_READ,
      scope: teamScope,
      handler: (req) => {
        const g = requireTeam(store, req.params['team'] as string);
        const m = teamRoster(store, g)
          .map((x) => memberJson(store, g.id, x.userId, x.roles))
          .find((x) => x.id === req.params['member']);
        if (!m) throw teamNotFound(g.id);
        return ok(
          select(req, { '@odata.context': contextUrl(req, `teams('${g.id}')/members/$entity`), ...m }),
        );
      },
    },
    {
      method: 'GET',
      path: '/teams/{team}/channels/{channel}/members',
      permissions: CHANNEL_MEMBER_READ,
      scope: channelScope,
      handler: (req) => {
        const c = requireChannel(store, req.params['team'] as string, req.params['channel'] as string);
        const members = channelRoster(store, hostTeam(c), c).map((m) =>
          memberJson(store, c.id, m.userId, m.roles),
        );
        const context = `teams('${req.params['team']}')/channels('${enc(c.id)}')/members`;
        return pageArray(
          req,
          context,
          filtered(req, members, (m) => m),
          (m) => m,
          { defaultTop: 1000, maxTop: 1000 },
        );
      },
    },
    {
      method: 'GET',
      path: '/teams/{team}/channels/{channel}/tabs',
      permissions: TABS_READ,
      scope: channelScope,
      handler: (req) => {
        const c = requireChannel(store, req.params['team'] as string, req.params['channel'] as string);
        const expand = (req.query.get('$expand') ?? '').split(',').map((s) => s.trim());
        const tabs = channelTabs(store, hostTeam(c), c).map(({ teamsApp, ...tab }) =>
          expand.includes('teamsApp') ? { ...tab, teamsApp } : tab,
        );
        return pageArray(
          req,
          `teams('${req.params['team']}')/channels('${enc(c.id)}')/tabs`,
          tabs,
          (t) => t,
          { defaultTop: 1000, maxTop: 1000 },
        );
      },
    },
    {
      method: 'GET',
      path: '/teams/{team}/channels/{channel}/tabs/{tab}',
      permissions: TABS_READ,
      scope: channelScope,
      handler: (req) => {
        const c = requireChannel(store, req.params['team'] as string, req.params['channel'] as string);
        const expand = (req.query.get('$expand') ?? '').split(',').map((s) => s.trim());
        const found = channelTabs(store, hostTeam(c), c).find((t) => t.id === req.params['tab']);
        if (!found) throw channelNotFound();
        const { teamsApp, ...tab } = found;
        return ok(
          select(req, {
            '@odata.context': contextUrl(
              req,
              `teams('${req.params['team']}')/channels('${enc(c.id)}')/tabs/$entity`,
            ),
            ...tab,
            ...(expand.includes('teamsApp') ? { teamsApp } : {}),
          }),
        );
      },
    },
  ];
}
