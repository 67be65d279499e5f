import { compileFilter } from '../../core/filter.js';
import { deltaPage, pageArray } from '../../core/listing.js';
import { badRequest, contextUrl, GraphHttpError, jsonBody, noContent, ok, select } from '../../core/odata.js';
import { routeMaker } from '../../core/service.js';
import type { EmuRequest, EmuResponse, RouteDef, ThrottleScope } from '../../core/types.js';
import type { TenantStore } from '../../tenant/store.js';
import { Lru, perStore } from '../shared/cache.js';
import { accessDenied } from '../shared/exchange.js';
import { deleteMessage, locate, resolveFolder } from './common.js';
import { newImportSession } from './archive-import.js';
import { encodeExport } from './export-format.js';
import { folderColl, liveFolders, mailboxById, mailboxIdOf, messageColl, type Mailbox } from './mailbox.js';
import { folderCounts, folderMessages, pageAsync, type Located } from './query.js';
import type { FolderRecord, MessageRecord } from './records.js';
import { createFolderRecord, syncStateNotFound } from './routes-folders.js';
import { messageView } from './view.js';
import { outlookTimestamp } from '../shared/time.js';

/**
 * Beta mailbox import/export API (`/admin/exchange/mailboxes/{id}`): the primary mailbox (same
 * data as the v1.0 mail API) and the in-place archive (only reachable here).
 */

const FOLDER_READ = ['MailboxFolder.Read.All', 'MailboxFolder.ReadWrite.All'];
const FOLDER_WRITE = ['MailboxFolder.ReadWrite.All'];
const ITEM_READ = ['MailboxItem.Read.All', 'MailboxItem.ImportExport.All'];
const EXPORT = ['MailboxItem.Export.All', 'MailboxItem.ImportExport.All'];
const IMPORT = ['MailboxItem.ImportExport.All'];

/** Size of an item as this API reports it: the length of its MIME, cached per tenant and version. */
const sizes = perStore(() => new Lru<string, number>(200_000));
async function itemSize(store: TenantStore, mb: Mailbox, loc: Located): Promise<number> {
  const key = `${mb.key}|${loc.fk}|${loc.rec.k}|${loc.rec.v}`;
  const hit = sizes(store).get(key);
  if (hit !== undefined) return hit;
  return sizes(store).set(key, (await messageView(store, mb, loc.fk, loc.rec).mime()).length);
}

async function itemJson(store: TenantStore, mb: Mailbox, loc: Located): Promise<Record<string, unknown>> {
  const v = messageView(store, mb, loc.fk, loc.rec);
  return {
    '@odata.type': '#microsoft.graph.mailboxItem',
    id: v.id,
    changeKey: v.changeKey,
    categories: v.categories,
    createdDateTime: v.created,
    lastModifiedDateTime: v.modified,
    size: await itemSize(store, mb, loc),
    type: 'IPM.Note',
  };
}

async function exportData(store: TenantStore, mb: Mailbox, loc: Located): Promise<Buffer> {
  const v = messageView(store, mb, loc.fk, loc.rec);
  const props = {
    format: 'safehold-emulator-item/1' as const,
    messageClass: 'IPM.Note',
    isRead: v.isRead,
    isDraft: v.isDraft,
    flag: v.flag,
    categories: v.categories,
    importance: v.importance,
    inferenceClassification: v.inferenceClassification,
    receivedDateTime: v.received,
    sentDateTime: v.sent,
    createdDateTime: v.created,
    lastModifiedDateTime: v.modified,
  };
  return encodeExport(props, await v.mime());
}

export function archiveRoutes(store: TenantStore): RouteDef[] {
  const base = '/admin/exchange/mailboxes/{mailbox}';
  // "Per mailbox" taken literally: the primary mailbox shares its budget with the v1.0 mail API
  // (keyed by the owner), while an in-place archive is a mailbox of its own (keyed by its id).
  const scope = (req: EmuRequest): ThrottleScope => {
    const id = req.params['mailbox'] ?? '';
    try {
      const mb = mailboxById(store, id);
      return { kind: 'exchange', mailbox: mb.archive ? id : mb.user.id };
    } catch {
      return { kind: 'exchange', mailbox: id.toLowerCase() };
    }
  };
  const r = routeMaker({ versions: ['beta'], scope }, base);
  /** A delegated caller reaches only its own mailboxes (primary and archive). */
  const mbOf = (req: EmuRequest) => {
    const mb = mailboxById(store, req.params['mailbox'] ?? '');
    if (req.caller?.kind === 'user' && req.caller.userId !== mb.user.id) throw accessDenied();
    return mb;
  };
  const seg = (req: EmuRequest) =>
    `admin/exchange/mailboxes('${encodeURIComponent(req.params['mailbox'] ?? '')}')`;
  const folderJson = (req: EmuRequest, mb: Mailbox, f: FolderRecord) => ({
    '@odata.type': '#microsoft.graph.mailboxFolder',
    id: f.id,
    displayName: f.displayName,
    childFolderCount: liveFolders(store, mb).filter((c) => c.parentKey === f.key).length,
    parentFolderId:
      f.parentKey === null
        ? null
        : (folderColl(store, mb)
            .values()
            .find((p) => p.key === f.parentKey)?.id ?? null),
    parentMailboxUrl: `${req.origin}/beta/admin/exchange/mailboxes/${encodeURIComponent(mailboxIdOf(mb))}`,
    totalItemCount: folderCounts(store, mb, f).total,
    wellKnownName: f.wellKnownName,
    type: f.search ? 'IPF.Note.SearchFolder' : f.type,
  });
  const listFolders = (req: EmuRequest, mb: Mailbox, folders: FolderRecord[], context: string) => {
    const filter = req.query.get('$filter');
    const proj = (f: FolderRecord) => folderJson(req, mb, f);
    const test = filter ? compileFilter(filter) : null;
    return pageArray(req, context, test ? folders.filter((f) => test(proj(f))) : folders, proj, {
      defaultTop: 100,
      maxTop: 1000,
    });
  };
  const folderOf = (req: EmuRequest, mb: Mailbox) => resolveFolder(store, mb, req.params['folder'] ?? '');
  const createFolder = (req: EmuRequest, mb: Mailbox, parent: FolderRecord): EmuResponse => {
    const b = jsonBody(req);
    const rec = createFolderRecord(store, mb, parent, b['displayName'], {
      type: typeof b['type'] === 'string' ? b['type'] : 'IPF.Note',
    });
    return ok(
      { '@odata.context': contextUrl(req, `${seg(req)}/folders/$entity`), ...folderJson(req, mb, rec) },
      201,
    );
  };
  const itemsDelta = async (req: EmuRequest): Promise<EmuResponse> => {
    const mb = mbOf(req);
    const f = folderOf(req, mb);
    const picked: Located[] = [];
    const out = deltaPage<MessageRecord>(req, {
      collection: messageColl(store, mb, f.key),
      context: `Collection(microsoft.graph.mailboxItem)`,
      project: (rec) => (picked.push({ fk: f.key, rec }), { '@i': picked.length - 1 }),
      style: 'odata',
      defaultTop: 100,
      maxTop: 1000,
    });
    if (out.expired) return syncStateNotFound(req);
    const body = out.response.json as { value: Record<string, unknown>[] };
    body.value = await Promise.all(
      body.value.map(async (v) =>
        '@i' in v ? select(req, await itemJson(store, mb, picked[v['@i'] as number] as Located)) : v,
      ),
    );
    return out.response;
  };
  return [
    r('GET', '', FOLDER_READ.concat(ITEM_READ), (req) => {
      const mb = mbOf(req);
      return ok({
        '@odata.context': contextUrl(req, 'admin/exchange/mailboxes/$entity'),
        id: mailboxIdOf(mb),
        deletedDateTime: null,
      });
    }),
    r('GET', '/folders', FOLDER_READ, (req) => {
      const mb = mbOf(req);
      return listFolders(req, mb, liveFolders(store, mb), `${seg(req)}/folders`);
    }),
    r(
      'GET',
      '/folders/delta',
      FOLDER_READ,
      (req) => {
        const mb = mbOf(req);
        const out = deltaPage<FolderRecord>(req, {
          collection: folderColl(store, mb),
          context: 'Collection(microsoft.graph.mailboxFolder)',
          project: (f) => folderJson(req, mb, f),
          style: 'odata',
          defaultTop: 100,
          maxTop: 1000,
        });
        return out.expired ? syncStateNotFound(req) : out.response;
      },
      { deltaExpired: syncStateNotFound },
    ),
    r('GET', '/folders/{folder}', FOLDER_READ, (req) => {
      const mb = mbOf(req);
      return ok({
        '@odata.context': contextUrl(req, `${seg(req)}/folders/$entity`),
        ...select(req, folderJson(req, mb, folderOf(req, mb))),
      });
    }),
    r('GET', '/folders/{folder}/childFolders', FOLDER_READ, (req) => {
      const mb = mbOf(req);
      const f = folderOf(req, mb);
      return listFolders(
        req,
        mb,
        liveFolders(store, mb).filter((c) => c.parentKey === f.key),
        `${seg(req)}/folders('${f.id}')/childFolders`,
      );
    }),
    r('POST', '/folders', FOLDER_WRITE, (req) => {
      const mb = mbOf(req);
      return createFolder(
        req,
        mb,
        resolveFolder(store, mb, mb.archive ? 'archivemsgfolderroot' : 'msgfolderroot'),
      );
    }),
    r('POST', '/folders/{folder}/childFolders', FOLDER_WRITE, (req) => {
      const mb = mbOf(req);
      return createFolder(req, mb, folderOf(req, mb));
    }),
    r('GET', '/folders/{folder}/items', ITEM_READ, (req) => {
      const mb = mbOf(req);
      const f = folderOf(req, mb);
      return pageAsync(
        req,
        `${seg(req)}/folders('${f.id}')/items`,
        folderMessages(store, mb, f.key),
        (l) => itemJson(store, mb, l),
        { defaultTop: 100, maxTop: 1000 },
      );
    }),
    r('GET', '/folders/{folder}/items/delta', ITEM_READ, itemsDelta, { deltaExpired: syncStateNotFound }),
    r('GET', '/folders/{folder}/items/{item}', ITEM_READ, async (req) => {
      const mb = mbOf(req);
      const loc = locate(store, mb, req.params['item'] ?? '', req.params['folder']);
      return ok({
        '@odata.context': contextUrl(req, `${seg(req)}/folders/items/$entity`),
        ...select(req, await itemJson(store, mb, loc)),
      });
    }),
    r('DELETE', '/folders/{folder}/items/{item}', IMPORT, (req) => {
      const mb = mbOf(req);
      deleteMessage(store, mb, locate(store, mb, req.params['item'] ?? '', req.params['folder']));
      return noContent();
    }),
    r('POST', '/exportItems', EXPORT, async (req) => {
      const mb = mbOf(req);
      const ids = jsonBody(req)['itemIds'];
      if (!Array.isArray(ids) || ids.length === 0)
        throw badRequest("The 'itemIds' parameter is required.", 'ErrorInvalidArgument');
      if (ids.length > 20)
        throw badRequest('At most 20 items can be exported in one request.', 'ErrorExceededMaxItemCount');
      const value = [];
      for (const raw of ids) {
        const itemId = String(raw);
        try {
          const loc = locate(store, mb, itemId);
          const v = messageView(store, mb, loc.fk, loc.rec);
          value.push({
            itemId,
            changeKey: v.changeKey,
            data: (await exportData(store, mb, loc)).toString('base64'),
          });
        } catch (e) {
          if (!(e instanceof GraphHttpError)) throw e;
          value.push({
            itemId,
            error: { '@odata.type': 'microsoft.graph.mailTipsError', code: e.code, message: e.message },
          });
        }
      }
      return ok({
        '@odata.context': contextUrl(req, 'Collection(microsoft.graph.exportItemResponse)'),
        value,
      });
    }),
    r('POST', '/createImportSession', IMPORT, (req) => {
      const mb = mbOf(req);
      const { token, expires } = newImportSession(store, mailboxIdOf(mb));
      return ok({
        '@odata.context': contextUrl(req, 'microsoft.graph.mailboxItemImportSession'),
        importUrl: `${req.origin}/api/gbeta/Mailboxes('${encodeURIComponent(mailboxIdOf(mb))}')/importItem?authtoken=${token}`,
        expirationDateTime: outlookTimestamp(expires),
      });
    }),
  ];
}
