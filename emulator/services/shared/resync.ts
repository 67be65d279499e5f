import { errorResponse, GraphHttpError, selfLink } from '../../core/odata.js';
import type { EmuRequest, EmuResponse } from '../../core/types.js';

/**
 * The "start over" answer to a delta token a service can no longer honour (expired, forgotten,
 * or not one it issued): 410 Gone with Graph's error body (`innerError` with date and request
 * ids) and a `Location` that is the original initial query. Query options go only in the initial
 * request and every link carries them on, so the current request holds them all: `Location`
 * keeps `$select`, `$filter`, `$expand`, `changeType`, `startDateTime`/`endDateTime`, … and drops
 * only the token parameters (`$deltatoken`, `$skiptoken`, `token`). Options a service keeps in
 * its token instead (the calendarView window) are put back through `restore`.
 *
 * The error code differs by workload, and each keeps its own spelling:
 * - `outlook` (mail, contacts, calendar): `SyncStateNotFound`, PascalCase as in a captured Exchange
 *   response (microsoft-graph-docs issue 2350); the errors page spells it `syncStateNotFound`.
 * - `sharepoint` (driveItem and listItem delta): `resyncChangesApplyDifferences`, as documented
 *   for both, with the documented meaning in the message.
 * - `other` (directory, Teams channel messages): `syncStateNotFound`, the errors page's code.
 */
const ANSWERS = {
  outlook: {
    code: 'SyncStateNotFound',
    message: 'The sync state generation is not found. Please do a full synchronization.',
  },
  sharepoint: {
    code: 'resyncChangesApplyDifferences',
    message:
      "Resync required. Replace any local items with the server's version (including deletes) if you're sure that the service was up to date with your local changes when you last sync'd. Upload any local changes that the server doesn't know about.",
  },
  other: {
    code: 'syncStateNotFound',
    message: 'The sync state generation is not found. Please do a full sync.',
  },
} as const;

export type ResyncWorkload = keyof typeof ANSWERS;

export function startOver(
  req: EmuRequest,
  workload: ResyncWorkload,
  restore: Record<string, string> = {},
): EmuResponse {
  const { code, message } = ANSWERS[workload];
  const location = selfLink(req, { $deltatoken: null, $skiptoken: null, token: null, ...restore });
  return errorResponse(new GraphHttpError(410, code, message, { location }), req);
}

/** The route answers (`deltaExpired`) of each workload. */
export const outlookStartOver = (req: EmuRequest) => startOver(req, 'outlook');
export const sharepointStartOver = (req: EmuRequest) => startOver(req, 'sharepoint');
export const otherStartOver = (req: EmuRequest) => startOver(req, 'other');
