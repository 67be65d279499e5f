/**
 * Which of Microsoft's throttling budgets a request draws on, read from its URL the way the
 * service routes it: Outlook per mailbox, SharePoint/OneDrive per tenant in resource units,
 * Teams per channel (or team), everything else the directory.
 */
export type ScopeKind = 'exchange' | 'sharepoint' | 'teams' | 'directory';

export interface RequestScope {
  kind: ScopeKind;
  /** Budget key, e.g. `mbx:<user id>`, `spo`, `chn:<channel id>`, `dir`. */
  key: string;
  /** SharePoint resource units this request costs (0 elsewhere). */
  cost: number;
}

const OUTLOOK =
  /^(messages|mailfolders|contacts|contactfolders|events|calendar|calendars|calendarview|calendargroups|mailboxsettings|outlook|inferenceclassification|sendmail|mailfolders|findmeetingtimes|reminderview|todo|conversations|threads)$/i;
const DRIVE = /^(drive|drives|onenote)$/i;

function segments(pathname: string): string[] {
  return pathname
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

/** SharePoint's documented Graph costs: 1 single item / delta with token / download, 2 lists and writes, 5 permissions. */
function sharepointCost(method: string, rest: string[], query: URLSearchParams): number {
  const joined = rest.join('/').toLowerCase();
  if (
    /(^|\/)(permissions|invite|createlink)(\/|$)/.test(joined) ||
    /permissions/i.test(query.get('$expand') ?? '')
  )
    return 5;
  if (method !== 'GET' && method !== 'HEAD') return 2;
  if (/(^|\/)delta(\(|$)/.test(joined))
    return query.get('token') || query.get('$deltatoken') || /delta\(token=/.test(joined) ? 1 : 2;
  if (/(^|\/)content$|\/\$value$/.test(joined)) return 1;
  const last = (rest[rest.length - 1] ?? '').toLowerCase();
  if (
    ['children', 'items', 'lists', 'drives', 'versions', 'columns', 'sites', 'contenttypes'].includes(last) ||
    query.has('search')
  )
    return 2;
  return 1;
}

export function classify(method: string, url: URL): RequestScope {
  const segs = segments(url.pathname);
  // Pre-authenticated SharePoint download/upload URLs, and Graph paths after the version.
  const versionAt = segs.findIndex((s) => s === 'v1.0' || s === 'beta');
  if (versionAt < 0) {
    if (/sharepoint|download\.aspx|_layouts/i.test(url.href))
      return { kind: 'sharepoint', key: 'spo', cost: 1 };
    return { kind: 'directory', key: 'dir', cost: 0 };
  }
  const path = segs.slice(versionAt + 1);
  const [root = '', id = '', sub = '', subId = '', ...rest] = path;
  const r = root.toLowerCase();
  if ((r === 'users' || r === 'groups') && id) {
    const s = sub.toLowerCase();
    if (OUTLOOK.test(s)) return { kind: 'exchange', key: `mbx:${id.toLowerCase()}`, cost: 0 };
    if (DRIVE.test(s) || s === 'sites')
      return {
        kind: 'sharepoint',
        key: 'spo',
        cost: sharepointCost(method, path.slice(2), url.searchParams),
      };
    if (s === 'settings' || s === 'team') return { kind: 'directory', key: 'dir', cost: 0 };
  }
  if (r === 'me' && OUTLOOK.test(id)) return { kind: 'exchange', key: 'mbx:me', cost: 0 };
  if (r === 'admin' && id.toLowerCase() === 'exchange' && sub.toLowerCase() === 'mailboxes' && subId) {
    return { kind: 'exchange', key: `mbx:${subId.toLowerCase()}`, cost: 0 };
  }
  if (r === 'drives' || r === 'sites' || r === 'shares')
    return { kind: 'sharepoint', key: 'spo', cost: sharepointCost(method, path.slice(1), url.searchParams) };
  if (r === 'teams' && id) {
    if (sub.toLowerCase() === 'channels' && subId && rest.length > 0)
      return { kind: 'teams', key: `chn:${subId}`, cost: 0 };
    return { kind: 'teams', key: `team:${id}`, cost: 0 };
  }
  return { kind: 'directory', key: 'dir', cost: 0 };
}
