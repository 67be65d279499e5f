import { GraphHttpError } from '../../core/odata.js';
import type { EmuRequest } from '../../core/types.js';

const MESSAGE = 'This URL is pre-authenticated; do not send an Authorization header.';

/**
 * Pre-authenticated URLs (upload sessions, the mailbox import URL) carry their credential in the
 * URL itself. Microsoft documents not sending an Authorization header to them and answers 401
 * when one is sent (OneDrive documents the 401; Outlook's answer is assumed to be the same), so a
 * client that leaks its bearer token there fails here as it would there. `refuse` builds the
 * workload's error; the default is Outlook's shape.
 */
export function refuseAuthorizationHeader(
  req: EmuRequest,
  refuse: (message: string) => GraphHttpError = (m) =>
    new GraphHttpError(401, 'InvalidAuthenticationToken', m),
): void {
  if (req.headers['authorization'] !== undefined) throw refuse(MESSAGE);
}
