import { Random } from '../../generator/random.js';
import type { GroupRecord, MailboxKind, UserRecord } from '../../tenant/records.js';
import type { TenantStore } from '../../tenant/store.js';
import { changeKeyFor, findUnifiedGroup, outlookId } from '../shared/exchange.js';
import { seededOrLiveGroup, seededOrLiveUser } from '../../tenant/seeded.js';
import type { CalendarRecord } from './records.js';

/** A mailbox that has calendars: a user's (user, shared, room) or a Microsoft 365 group's. */
export interface Owner {
  id: string;
  kind: 'user' | 'group';
  mailbox: MailboxKind | 'group';
  displayName: string;
  address: string;
}

export function userOwner(u: UserRecord): Owner {
  return {
    id: u.id,
    kind: 'user',
    mailbox: u.mailbox ?? 'user',
    displayName: u.displayName,
    address: u.mail ?? u.userPrincipalName,
  };
}

export function groupOwner(g: GroupRecord): Owner {
  return {
    id: g.id,
    kind: 'group',
    mailbox: 'group',
    displayName: g.displayName,
    address: g.mail ?? `${g.mailNickname}@invalid.example`,
  };
}

/** Resolves an owner by object id (users and groups) or address, without access checks. */
export function findOwner(store: TenantStore, idOrAddress: string): Owner | undefined {
  const u = store.findUser(idOrAddress);
  if (u?.mailbox) return userOwner(u);
  if (u) return undefined;
  const g = findUnifiedGroup(store, idOrAddress);
  return g ? groupOwner(g) : undefined;
}

/** The owner behind a collection key, as seeded (see seededDirectory) or added at runtime. */
function ownerById(store: TenantStore, id: string): Owner | undefined {
  const u = seededOrLiveUser(store, id);
  if (u) return u.mailbox ? userOwner(u) : undefined;
  const g = seededOrLiveGroup(store, id);
  return g?.groupTypes.includes('Unified') ? groupOwner(g) : undefined;
}

export interface CalendarPlan {
  calendar: CalendarRecord;
  /** How many single events and series masters the seed puts in it. */
  events: number;
  primary: boolean;
}

const SECOND_NAMES = ['Projects', 'Holidays 🎉', 'Team offsite', 'Kundentermine', '個人の予定', 'Family'];
const COLORS = [
  'lightBlue',
  'lightGreen',
  'lightOrange',
  'lightGray',
  'lightYellow',
  'lightTeal',
  'lightPink',
];

/** The calendars of an owner, recomputable from the seed: the default one, and for some users a second. */
export function calendarPlan(store: TenantStore, owner: Owner): CalendarPlan[] {
  const r = new Random(store.seed, 'calendars', owner.id);
  const group = owner.kind === 'group';
  const total = group ? store.profile.groupEventsPerGroup : store.profile.eventsPerMailbox;
  const hasSecond = owner.mailbox === 'user' && r.bool(0.45);
  const secondCount = hasSecond ? Math.floor(total * 0.2) : 0;
  const base = (id: string, name: string): CalendarRecord => ({
    id,
    name,
    color: 'auto',
    hexColor: '',
    isDefaultCalendar: true,
    changeKey: changeKeyFor(id, 'calendar'),
    canShare: !group,
    canViewPrivateItems: true,
    canEdit: true,
    isRemovable: false,
    isTallyingResponses: true,
    allowedOnlineMeetingProviders: ['teamsForBusiness'],
    defaultOnlineMeetingProvider: 'teamsForBusiness',
    owner: { name: owner.displayName, address: owner.address },
  });
  const plans: CalendarPlan[] = [
    {
      calendar: base(outlookId(store.seed, 'calendar', owner.id, 'default'), 'Calendar'),
      events: total - secondCount,
      primary: true,
    },
  ];
  if (hasSecond) {
    const id = outlookId(store.seed, 'calendar', owner.id, 'second');
    const color = r.pick(COLORS);
    plans.push({
      calendar: {
        ...base(id, r.pick(SECOND_NAMES)),
        color,
        isDefaultCalendar: false,
        isRemovable: true,
        isTallyingResponses: false,
      },
      events: secondCount,
      primary: false,
    });
  }
  return plans;
}

/** Materializer helpers: the owner and plan behind a collection key, if the owner still exists. */
export function planFor(
  store: TenantStore,
  ownerId: string,
): { owner: Owner; plans: CalendarPlan[] } | undefined {
  const owner = ownerById(store, ownerId);
  return owner ? { owner, plans: calendarPlan(store, owner) } : undefined;
}
