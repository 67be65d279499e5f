import { randomBytes } from 'node:crypto';
import { badRequest, GraphHttpError, jsonBody, ok } from '../../core/odata.js';
import type { RouteDef } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { addMessage, locate, resolveFolder, saveChanged } from './common.js';
import { decodeExport } from './export-format.js';
import { strOr } from './ids.js';
import { mailboxById } from './mailbox.js';
import type { Located } from './query.js';
import { storedFromMime } from './stored.js';
import { refuseAuthorizationHeader } from '../shared/preauth.js';
import { messageView } from './view.js';
import { isoSeconds } from '../shared/time.js';

/**
 * Mailbox item import (beta): `createImportSession` hands out a pre-authenticated `importUrl`;
 * POSTing `{FolderId, Mode, Data, ItemId?, ChangeKey?}` to it creates or replaces one item. `Data`
 * is the emulator's export stand-in (export-format.ts), not a FastTransfer stream.
 */

const IMPORT_SESSION_MS = 60 * 60_000;

interface ImportSession {
  mailboxId: string;
  expires: number;
}

const importSessions = new WeakMap<TenantStore, Map<string, ImportSession>>();
const sessionsOf = (store: TenantStore) => {
  let m = importSessions.get(store);
  if (!m) importSessions.set(store, (m = new Map<string, ImportSession>()));
  return m;
};

export function newImportSession(store: TenantStore, mailboxId: string): { token: string; expires: number } {
  const token = randomBytes(24).toString('base64url');
  const expires = Date.now() + IMPORT_SESSION_MS;
  sessionsOf(store).set(token, { mailboxId, expires });
  return { token, expires };
}

/** `POST {importUrl}`: pre-authenticated, PascalCase body, creates or replaces one item. */
export function importRoutes(store: TenantStore): RouteDef[] {
  return [
    {
      method: 'POST',
      path: "/api/gbeta/Mailboxes('{mailbox}')/importItem",
      permissions: null,
      scope: (req) => ({
        kind: 'exchange',
        mailbox: sessionsOf(store).get(req.query.get('authtoken') ?? '')
          ? safeOwner(store, req.params['mailbox'] ?? '')
          : 'anonymous',
      }),
      handler: async (req) => {
        refuseAuthorizationHeader(req);
        const session = sessionsOf(store).get(req.query.get('authtoken') ?? '');
        if (!session || session.mailboxId !== req.params['mailbox'])
          throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'The import URL is not valid.');
        if (session.expires < Date.now())
          throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'The import session has expired.');
        const mb = mailboxById(store, session.mailboxId);
        const b = jsonBody(req);
        const mode = strOr(b['Mode'], '').toLowerCase();
        if (mode !== 'create' && mode !== 'update')
          throw badRequest("Mode must be 'create' or 'update'.", 'ErrorInvalidRequest');
        if (typeof b['FolderId'] !== 'string' || typeof b['Data'] !== 'string')
          throw badRequest('FolderId and Data are required.', 'ErrorInvalidRequest');
        const folder = resolveFolder(store, mb, b['FolderId']);
        if (folder.search)
          throw badRequest('Items cannot be imported into a search folder.', 'ErrorInvalidRequest');
        const { props, mime } = decodeExport(Buffer.from(b['Data'], 'base64'));
        const s = storedFromMime(store, mime, isoSeconds(Date.now()));
        Object.assign(s, {
          isRead: props.isRead,
          isDraft: props.isDraft,
          flag: props.flag,
          categories: props.categories,
          importance: props.importance,
          inferenceClassification: props.inferenceClassification,
          received: props.receivedDateTime,
          sent: props.sentDateTime,
          created: props.createdDateTime,
        });
        let loc: Located & { id?: string };
        if (mode === 'create') {
          if (b['ItemId'] !== undefined || b['ChangeKey'] !== undefined)
            throw badRequest(
              'ItemId and ChangeKey must not be given with Mode create.',
              'ErrorInvalidRequest',
            );
          loc = addMessage(store, mb, folder.key, { s, v: 0, m: props.lastModifiedDateTime });
        } else {
          if (typeof b['ItemId'] !== 'string' || typeof b['ChangeKey'] !== 'string')
            throw badRequest('ItemId and ChangeKey are required with Mode update.', 'ErrorInvalidRequest');
          const existing = locate(store, mb, b['ItemId'], folder.id);
          if (messageView(store, mb, existing.fk, existing.rec).changeKey !== b['ChangeKey']) {
            throw new GraphHttpError(
              409,
              'ErrorIrresolvableConflict',
              'The change key does not match the current version of the item.',
            );
          }
          loc = saveChanged(store, mb, existing, {
            k: existing.rec.k,
            s,
            v: existing.rec.v,
            c0: existing.rec.c0,
          });
        }
        const v = messageView(store, mb, loc.fk, loc.rec);
        return ok({
          '@odata.context': `${req.origin}/api/gbeta/$metadata#microsoft.graph.importMailboxItemResponse`,
          itemId: v.id,
          changeKey: v.changeKey,
        });
      },
    },
  ];
}

function safeOwner(store: TenantStore, id: string): string {
  try {
    return mailboxById(store, id).user.id;
  } catch {
    return id.toLowerCase();
  }
}
