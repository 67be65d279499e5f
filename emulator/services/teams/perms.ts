import type { EmuRequest, ThrottleScope } from '../../core/types.js';

/** Application permissions per Teams operation, from each API page's permission table. */
const GROUP_READ = ['Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
export const TEAMS_LIST = ['Team.ReadBasic.All', 'TeamSettings.Read.All', 'TeamSettings.ReadWrite.All'];
export const TEAM_READ = [...TEAMS_LIST, ...GROUP_READ];
export const CHANNEL_READ = [
  'Channel.ReadBasic.All',
  'ChannelSettings.Read.All',
  'ChannelSettings.ReadWrite.All',
  ...GROUP_READ,
];
export const MESSAGE_READ = [
  'ChannelMessage.Read.All',
  'ChannelMessage.Read.Group',
  'Group.Read.All',
  'Group.ReadWrite.All',
];
export const TEAM_MEMBER_READ = ['TeamMember.Read.All', 'TeamMember.ReadWrite.All', ...GROUP_READ];
export const CHANNEL_MEMBER_READ = ['ChannelMember.Read.All', 'ChannelMember.ReadWrite.All', ...GROUP_READ];
export const TABS_READ = [
  'TeamsTab.Read.All',
  'TeamsTab.ReadWriteForTeam.All',
  'TeamsTab.ReadWrite.All',
  ...GROUP_READ,
];
export const FILES_FOLDER = [
  'Files.Read.All',
  'Files.ReadWrite.All',
  'Sites.Read.All',
  'Sites.ReadWrite.All',
  'Group.Read.All',
  'Group.ReadWrite.All',
];
export const TEAM_CREATE = [
  'Team.Create',
  'Teamwork.Migrate.All',
  'Group.ReadWrite.All',
  'Directory.ReadWrite.All',
];
export const CHANNEL_CREATE = [
  'Channel.Create',
  'Teamwork.Migrate.All',
  'Group.ReadWrite.All',
  'Directory.ReadWrite.All',
];
/** Application tokens may post only to import (Teamwork.Migrate.All); users post with ChannelMessage.Send. */
export const MESSAGE_POST = ['Teamwork.Migrate.All', 'ChannelMessage.Send', 'Group.ReadWrite.All'];
export const MIGRATE = ['Teamwork.Migrate.All'];

/** Team-level routes draw on the team's budget (4 requests/s per app per team or channel). */
export const teamScope = (req: EmuRequest): ThrottleScope => ({
  kind: 'teams',
  channel: req.params['team'] ?? '',
});
export const channelScope = (req: EmuRequest): ThrottleScope => ({
  kind: 'teams',
  channel: req.params['channel'] ?? '',
});
