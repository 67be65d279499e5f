import { badRequest, notFound } from '../../core/odata.js';
import type { ActivityOp, ServiceContext } from '../../core/service.js';
import { TextGenerator } from '../../generator/text.js';
import type { GroupRecord } from '../../tenant/records.js';
import { userRef } from './content.js';
import { channelTabs } from './json.js';
import {
  allTeams,
  channelRoster,
  channelsKey,
  postsOf,
  repliesOf,
  requirePost,
  requireReply,
  str,
  teamRoster,
  type ChannelRecord,
  type MembershipType,
  type MessageRecord,
} from './model.js';
import { addChannel, addMessage, editMessage, softDeleteMessage } from './writes.js';

/** Tenant activity between backups: posts, replies, edits, deletions and new channels. */
export function teamsActivity(ctx: ServiceContext): Record<string, ActivityOp> {
  const { store, random } = ctx;
  const text = new TextGenerator(random);

  const teamOf = (arg: unknown): GroupRecord => {
    const key = str(arg);
    const teams = allTeams(store);
    const t = key
      ? teams.find((x) => x.id === key || x.displayName.toLowerCase() === key.toLowerCase())
      : teams[0];
    if (!t) throw notFound(`No team '${key}'.`);
    return t;
  };
  const channelOf = (team: GroupRecord, arg: unknown): ChannelRecord => {
    const key = str(arg, 'General');
    const c = store
      .collection<ChannelRecord>(channelsKey(team.id))
      .values()
      .find((x) => x.id === key || x.displayName.toLowerCase() === key.toLowerCase());
    if (!c) throw notFound(`No channel '${key}' in team '${team.displayName}'.`);
    return c;
  };
  const sender = (team: GroupRecord, c: ChannelRecord, arg: unknown) => {
    if (arg !== undefined) {
      const u = store.findUser(str(arg));
      if (!u) throw notFound(`No user '${str(arg)}'.`);
      return userRef(store, u.id);
    }
    const roster = channelRoster(store, team, c);
    const pick = roster.length ? random.pick(roster).userId : team.ownerIds[0];
    if (!pick) throw badRequest('The channel has no members to post as.');
    return userRef(store, pick);
  };
  const html = (args: Record<string, unknown>) => ({
    contentType: 'html' as const,
    content: `<p>${str(args['text']) || text.sentence()}</p>`,
  });
  const target = (args: Record<string, unknown>) => {
    const team = teamOf(args['team']);
    const c = channelOf(team, args['channel']);
    const post = requirePost(store, c, str(args['message']));
    const m = args['reply'] !== undefined ? requireReply(store, post, str(args['reply'])) : post;
    return { team, c, m };
  };
  const describe = (m: MessageRecord) => ({
    teamId: m.teamId,
    channelId: m.channelId,
    messageId: m.replyToId ?? m.id,
    ...(m.replyToId ? { replyId: m.id } : {}),
  });

  const ops: Record<string, ActivityOp> = {
    'teams.post': (args) => {
      const team = teamOf(args['team']);
      const c = channelOf(team, args['channel']);
      const m = addMessage(store, c, {
        from: sender(team, c, args['from']),
        body: html(args),
        createdMs: Date.now(),
      });
      return { change: 'post', ...describe(m) };
    },
    'teams.reply': (args) => {
      const team = teamOf(args['team']);
      const c = channelOf(team, args['channel']);
      const post = requirePost(store, c, str(args['message']));
      const m = addMessage(
        store,
        c,
        { from: sender(team, c, args['from']), body: html(args), createdMs: Date.now() },
        post,
      );
      return { change: 'reply', ...describe(m) };
    },
    'teams.editMessage': (args) => {
      const { m } = target(args);
      return { change: 'edit', ...describe(editMessage(store, m, html(args).content)) };
    },
    'teams.deleteMessage': (args) => {
      const { m } = target(args);
      return { change: 'delete', ...describe(softDeleteMessage(store, m)) };
    },
    'teams.addChannel': (args) => {
      const team = teamOf(args['team']);
      const type = str(args['membershipType'], 'standard') as MembershipType;
      if (!['standard', 'private', 'shared'].includes(type))
        throw badRequest(`membershipType '${type}' is not one of standard, private, shared`);
      const owners = team.ownerIds.slice(0, 1);
      const c = addChannel(
        store,
        team,
        {
          displayName: str(args['displayName']) || `${text.title(2)} ${random.int(10, 99)}`,
          description: null,
          membershipType: type,
          migration: false,
          createdMs: Date.now(),
          ownerIds: owners,
          memberIds: [...owners],
        },
        random,
      );
      return {
        change: 'addChannel',
        teamId: team.id,
        channelId: c.id,
        displayName: c.displayName,
        membershipType: c.membershipType,
      };
    },
    'teams.randomActivity': (args) => {
      const count = Math.max(0, Math.min(1000, Number(args['count'] ?? 10)));
      const changes: unknown[] = [];
      for (let i = 0; i < count; i++) {
        const team = random.pick(allTeams(store));
        const channels = store.collection<ChannelRecord>(channelsKey(team.id)).values();
        const c = random.pick(channels);
        const posts = postsOf(store, c)
          .values()
          .filter((m) => !m.deletedDateTime && m.messageType === 'message');
        const roll = random.next();
        const base = { team: team.id, channel: c.id };
        if (roll < 0.45 || posts.length === 0) changes.push(ops['teams.post']?.(base));
        else if (roll < 0.75) changes.push(ops['teams.reply']?.({ ...base, message: random.pick(posts).id }));
        else if (roll < 0.9)
          changes.push(ops['teams.editMessage']?.({ ...base, message: random.pick(posts).id }));
        else if (roll < 0.97)
          changes.push(ops['teams.deleteMessage']?.({ ...base, message: random.pick(posts).id }));
        else changes.push(ops['teams.addChannel']?.({ team: team.id }));
      }
      return { changes };
    },
  };
  return ops;
}

/** Exact counts of what a Graph crawl of every team finds (materializes everything). */
export function teamsInventory(ctx: ServiceContext): Record<string, number> {
  const { store } = ctx;
  const out = {
    teams: 0,
    channels: 0,
    standardChannels: 0,
    privateChannels: 0,
    sharedChannels: 0,
    posts: 0,
    systemMessages: 0,
    deletedMessages: 0,
    replies: 0,
    hostedContents: 0,
    tabs: 0,
    teamMembers: 0,
  };
  for (const team of allTeams(store)) {
    out.teams++;
    out.teamMembers += teamRoster(store, team).length;
    for (const c of store.collection<ChannelRecord>(channelsKey(team.id)).values()) {
      out.channels++;
      if (c.membershipType === 'standard') out.standardChannels++;
      else if (c.membershipType === 'private') out.privateChannels++;
      else out.sharedChannels++;
      out.tabs += channelTabs(store, team, c).length;
      for (const post of postsOf(store, c).values()) {
        out.posts++;
        if (post.messageType === 'systemEventMessage') out.systemMessages++;
        if (post.deletedDateTime) out.deletedMessages++;
        out.hostedContents += post.hostedContents.length;
        for (const reply of repliesOf(store, post).values()) {
          out.replies++;
          if (reply.deletedDateTime) out.deletedMessages++;
          out.hostedContents += reply.hostedContents.length;
        }
      }
    }
  }
  return out;
}
