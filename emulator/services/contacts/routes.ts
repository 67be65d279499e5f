import { compileFilter } from '../../core/filter.js';
import { deltaPage, pageArray, pageCollection } from '../../core/listing.js';
import { badRequest, contextUrl, noContent, ok, select } from '../../core/odata.js';
import { routeMaker, type ServiceContext } from '../../core/service.js';
import type { EmuRequest, EmuResponse, RouteDef } from '../../core/types.js';
import type { UserRecord } from '../../tenant/records.js';
import { ContactsData } from './data.js';
import { exchangeScope, orderRows, requireMailbox, withMeAliases, objectBody } from '../shared/exchange.js';
import { contactJson, folderJson } from './model.js';
import { outlookStartOver } from '../shared/resync.js';
import { contactsKey, foldersKey, type ContactFolderRecord, type ContactRecord } from './records.js';

const READ = ['Contacts.Read', 'Contacts.ReadWrite'];
const WRITE = ['Contacts.ReadWrite'];
const PAGE = { defaultTop: 10, maxTop: 1000 };

/** Exchange's answer to a delta token it no longer has (see shared/resync.ts). */
export const syncStateNotFound = outlookStartOver;

/** `$filter` and `$orderby` over projected rows. */
function listRows<T>(req: EmuRequest, rows: T[], project: (t: T) => Record<string, unknown>): T[] {
  const f = req.query.get('$filter');
  let out = rows;
  if (f) {
    const test = compileFilter(f);
    out = out.filter((r) => test(project(r)));
  }
  const orderby = req.query.get('$orderby');
  return orderby ? orderRows(out, orderby, project) : out;
}

export function contactRoutes(ctx: ServiceContext): RouteDef[] {
  const { store } = ctx;
  const data = new ContactsData(store, ctx.random);
  const mailbox = (req: EmuRequest): UserRecord => requireMailbox(store, req, req.params['user'] as string);
  const base = (u: UserRecord) => `users('${u.id}')`;
  const r = routeMaker({ scope: exchangeScope(store) });

  const listContacts = (
    req: EmuRequest,
    u: UserRecord,
    folder: ContactFolderRecord,
    context: string,
  ): EmuResponse => {
    const coll = store.collection<ContactRecord>(contactsKey(u.id, folder.id));
    if (req.query.get('$orderby'))
      return pageArray(req, context, listRows(req, coll.values(), contactJson), contactJson, PAGE);
    const f = req.query.get('$filter');
    const test = f ? compileFilter(f) : undefined;
    return pageCollection(req, context, coll, contactJson, {
      ...PAGE,
      ...(test ? { filter: (c: ContactRecord) => test(contactJson(c)) } : {}),
    });
  };

  const contactsDelta = (req: EmuRequest, u: UserRecord, folder: ContactFolderRecord): EmuResponse => {
    const out = deltaPage<ContactRecord>(req, {
      collection: store.collection<ContactRecord>(contactsKey(u.id, folder.id)),
      context: 'Collection(contact)',
      project: (c) => ({ '@odata.type': '#microsoft.graph.contact', ...contactJson(c) }),
      removed: (e) => ({
        '@odata.type': '#microsoft.graph.contact',
        id: e.id,
        '@removed': { reason: e.removedReason ?? 'deleted' },
      }),
      style: 'odata',
      ...PAGE,
    });
    return out.expired ? syncStateNotFound(req) : out.response;
  };

  const one = (req: EmuRequest, context: string, entity: Record<string, unknown>, status = 200) =>
    ok({ '@odata.context': contextUrl(req, `${context}/$entity`), ...select(req, entity) }, status);

  const routes: RouteDef[] = [
    // The default Contacts folder.
    r('GET', '/users/{user}/contacts', READ, (req) => {
      const u = mailbox(req);
      return listContacts(req, u, data.defaultFolder(u), `${base(u)}/contacts`);
    }),
    r('POST', '/users/{user}/contacts', WRITE, (req) => {
      const u = mailbox(req);
      const c = data.create(u, data.defaultFolder(u).id, objectBody(req));
      return one(req, `${base(u)}/contacts`, contactJson(c), 201);
    }),
    r(
      'GET',
      '/users/{user}/contacts/delta',
      READ,
      (req) => {
        const u = mailbox(req);
        return contactsDelta(req, u, data.defaultFolder(u));
      },
      { deltaExpired: syncStateNotFound },
    ),
    r('GET', '/users/{user}/contacts/{id}', READ, (req) => {
      const u = mailbox(req);
      return one(req, `${base(u)}/contacts`, contactJson(data.find(u, req.params['id'] as string)));
    }),
    r('PATCH', '/users/{user}/contacts/{id}', WRITE, (req) => {
      const u = mailbox(req);
      return one(
        req,
        `${base(u)}/contacts`,
        contactJson(data.update(u, req.params['id'] as string, objectBody(req))),
      );
    }),
    r('DELETE', '/users/{user}/contacts/{id}', WRITE, (req) => {
      data.delete(mailbox(req), req.params['id'] as string);
      return noContent();
    }),

    // Folders.
    r('GET', '/users/{user}/contactFolders', READ, (req) => {
      const u = mailbox(req);
      const rows = listRows(req, data.childFolders(u, data.defaultFolder(u).id), folderJson);
      return pageArray(req, `${base(u)}/contactFolders`, rows, folderJson, PAGE);
    }),
    r('POST', '/users/{user}/contactFolders', WRITE, (req) => {
      const u = mailbox(req);
      const f = data.createFolder(u, data.defaultFolder(u).id, objectBody(req));
      return one(req, `${base(u)}/contactFolders`, folderJson(f), 201);
    }),
    r(
      'GET',
      '/users/{user}/contactFolders/delta',
      READ,
      (req) => {
        const u = mailbox(req);
        const out = deltaPage<ContactFolderRecord>(req, {
          collection: store.collection<ContactFolderRecord>(foldersKey(u.id)),
          context: 'Collection(contactFolder)',
          project: (f) => ({ '@odata.type': '#microsoft.graph.contactFolder', ...folderJson(f) }),
          removed: (e) => ({
            '@odata.type': '#microsoft.graph.contactFolder',
            id: e.id,
            '@removed': { reason: e.removedReason ?? 'deleted' },
          }),
          filter: (f) => !f.isDefault,
          style: 'odata',
          ...PAGE,
        });
        return out.expired ? syncStateNotFound(req) : out.response;
      },
      { deltaExpired: syncStateNotFound },
    ),
    r('GET', '/users/{user}/contactFolders/{folder}', READ, (req) => {
      const u = mailbox(req);
      return one(
        req,
        `${base(u)}/contactFolders`,
        folderJson(data.folder(u, req.params['folder'] as string)),
      );
    }),
    r('PATCH', '/users/{user}/contactFolders/{folder}', WRITE, (req) => {
      const u = mailbox(req);
      return one(
        req,
        `${base(u)}/contactFolders`,
        folderJson(data.renameFolder(u, req.params['folder'] as string, objectBody(req))),
      );
    }),
    r('DELETE', '/users/{user}/contactFolders/{folder}', WRITE, (req) => {
      data.deleteFolder(mailbox(req), req.params['folder'] as string);
      return noContent();
    }),
    r('GET', '/users/{user}/contactFolders/{folder}/childFolders', READ, (req) => {
      const u = mailbox(req);
      const f = data.folder(u, req.params['folder'] as string);
      const rows = listRows(req, data.childFolders(u, f.id), folderJson);
      return pageArray(req, `${base(u)}/contactFolders('${f.id}')/childFolders`, rows, folderJson, PAGE);
    }),
    r('POST', '/users/{user}/contactFolders/{folder}/childFolders', WRITE, (req) => {
      const u = mailbox(req);
      const f = data.createFolder(u, req.params['folder'] as string, objectBody(req));
      return one(req, `${base(u)}/contactFolders('${f.parentFolderId}')/childFolders`, folderJson(f), 201);
    }),

    // Contacts of a given folder.
    r('GET', '/users/{user}/contactFolders/{folder}/contacts', READ, (req) => {
      const u = mailbox(req);
      const f = data.folder(u, req.params['folder'] as string);
      return listContacts(req, u, f, `${base(u)}/contactFolders('${f.id}')/contacts`);
    }),
    r('POST', '/users/{user}/contactFolders/{folder}/contacts', WRITE, (req) => {
      const u = mailbox(req);
      const c = data.create(u, req.params['folder'] as string, objectBody(req));
      return one(req, `${base(u)}/contactFolders('${c.parentFolderId}')/contacts`, contactJson(c), 201);
    }),
    r(
      'GET',
      '/users/{user}/contactFolders/{folder}/contacts/delta',
      READ,
      (req) => {
        const u = mailbox(req);
        return contactsDelta(req, u, data.folder(u, req.params['folder'] as string));
      },
      { deltaExpired: syncStateNotFound },
    ),
    r('GET', '/users/{user}/contactFolders/{folder}/contacts/{id}', READ, (req) => {
      const u = mailbox(req);
      const c = data.find(u, req.params['id'] as string, req.params['folder']);
      return one(req, `${base(u)}/contactFolders('${c.parentFolderId}')/contacts`, contactJson(c));
    }),
    r('PATCH', '/users/{user}/contactFolders/{folder}/contacts/{id}', WRITE, (req) => {
      const u = mailbox(req);
      const c = data.update(u, req.params['id'] as string, objectBody(req), req.params['folder']);
      return one(req, `${base(u)}/contactFolders('${c.parentFolderId}')/contacts`, contactJson(c));
    }),
    r('DELETE', '/users/{user}/contactFolders/{folder}/contacts/{id}', WRITE, (req) => {
      data.delete(mailbox(req), req.params['id'] as string, req.params['folder']);
      return noContent();
    }),
  ];
  // Photos, extensions and extended properties are not modelled: refuse to expand them rather than ignore it.
  for (const route of routes) {
    const inner = route.handler;
    route.handler = (req) => {
      const expand = req.query.get('$expand');
      if (expand) throw badRequest(`Expanding '${expand}' on contacts is not supported.`);
      return inner(req);
    };
  }
  return withMeAliases(routes, store);
}
