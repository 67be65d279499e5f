import { badRequest } from '../../core/odata.js';
import type { ActivityOp, ServiceContext } from '../../core/service.js';
import type { TenantStore } from '../../tenant/store.js';
import { addMessage, deleteMessage, locate, moveMessage, now, resolveFolder } from './common.js';
import { createThreadRecord, groupThreads, postsOf, storePost } from './group-model.js';
import { isUnified } from './group-gen.js';
import { folderId } from './ids.js';
import { liveFolders, messageFolders, primaryMailbox, type Mailbox } from './mailbox.js';
import { updateMessage } from './mutate.js';
import { folderMessages } from './query.js';
import { createFolderRecord, removeFolderTree, renameFolder } from './routes-folders.js';
import { messageView, summaryOf } from './view.js';
import { Random } from '../../generator/random.js';
import { TextGenerator } from '../../generator/text.js';

/**
 * Mail activity between backups (`POST /_emulator/activity`): messages arrive, are read, flagged,
 * moved and deleted; folders appear, are renamed and removed. Every op returns what it changed.
 */

const str = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || !v) throw badRequest(`'${name}' is required.`);
  return v;
};

function flagOf(v: unknown): Record<string, unknown> {
  if (typeof v === 'string') return { flagStatus: v };
  if (typeof v === 'boolean') return { flagStatus: v ? 'flagged' : 'notFlagged' };
  return (v ?? { flagStatus: 'notFlagged' }) as Record<string, unknown>;
}

export function mailActivity(ctx: ServiceContext): Record<string, ActivityOp> {
  const { store } = ctx;
  const mailbox = (u: unknown) => primaryMailbox(store, str(u, 'user'));

  const addOne = (mb: Mailbox, folder?: unknown) => {
    const f = resolveFolder(store, mb, typeof folder === 'string' && folder ? folder : 'inbox');
    const loc = addMessage(store, mb, f.key, { act: { n: ctx.random.int(0, 2 ** 31 - 1), at: now() }, v: 0 });
    const v = messageView(store, mb, loc.fk, loc.rec);
    return {
      op: 'addMessage',
      user: mb.user.id,
      id: loc.id,
      folderId: f.id,
      subject: v.subject,
      receivedDateTime: v.received,
      hasAttachments: v.hasAttachments,
    };
  };
  const update = async (mb: Mailbox, id: string, set: Record<string, unknown>) => {
    const allowed = ['isRead', 'subject', 'flag', 'categories', 'importance'];
    for (const k of Object.keys(set))
      if (!allowed.includes(k)) throw badRequest(`updateMessage cannot set '${k}'.`);
    const body = { ...set, ...('flag' in set ? { flag: flagOf(set['flag']) } : {}) };
    const loc = await updateMessage(store, mb, locate(store, mb, id), body, { graph: false });
    const v = messageView(store, mb, loc.fk, loc.rec);
    return {
      op: 'updateMessage',
      user: mb.user.id,
      id: v.id,
      folderId: folderId(mb.key, loc.fk),
      changeKey: v.changeKey,
      set: Object.keys(set),
    };
  };
  const move = (mb: Mailbox, id: string, folder: string) => {
    const loc = locate(store, mb, id);
    const dest = resolveFolder(store, mb, folder);
    if (dest.search) throw badRequest('Cannot move into a search folder.');
    const moved = moveMessage(store, mb, loc, dest.key);
    return {
      op: 'moveMessage',
      user: mb.user.id,
      previousId: id,
      id: moved.id,
      fromFolderId: folderId(mb.key, loc.fk),
      folderId: dest.id,
    };
  };
  const remove = (mb: Mailbox, id: string) => {
    const loc = locate(store, mb, id);
    deleteMessage(store, mb, loc);
    return { op: 'deleteMessage', user: mb.user.id, id, folderId: folderId(mb.key, loc.fk) };
  };
  const addFolder = (mb: Mailbox, parent: unknown, name: string) => {
    const p = resolveFolder(store, mb, typeof parent === 'string' && parent ? parent : 'msgfolderroot');
    const f = createFolderRecord(store, mb, p, name);
    return { op: 'addFolder', user: mb.user.id, id: f.id, displayName: f.displayName, parentFolderId: p.id };
  };

  const ops: Record<string, ActivityOp> = {
    'mail.addMessage': (a) => addOne(mailbox(a['user']), a['folder']),
    'mail.updateMessage': (a) =>
      update(mailbox(a['user']), str(a['id'], 'id'), (a['set'] ?? {}) as Record<string, unknown>),
    'mail.moveMessage': (a) => move(mailbox(a['user']), str(a['id'], 'id'), str(a['folder'], 'folder')),
    'mail.deleteMessage': (a) => remove(mailbox(a['user']), str(a['id'], 'id')),
    'mail.addFolder': (a) => addFolder(mailbox(a['user']), a['parent'], str(a['name'], 'name')),
    'mail.renameFolder': (a) => {
      const mb = mailbox(a['user']);
      const f = renameFolder(store, mb, resolveFolder(store, mb, str(a['id'], 'id')), str(a['name'], 'name'));
      return { op: 'renameFolder', user: mb.user.id, id: f.id, displayName: f.displayName };
    },
    'mail.deleteFolder': (a) => {
      const mb = mailbox(a['user']);
      const f = resolveFolder(store, mb, str(a['id'], 'id'));
      if (f.wellKnownName) throw badRequest('Well-known folders cannot be deleted.');
      return {
        op: 'deleteFolder',
        user: mb.user.id,
        id: f.id,
        removedFolders: removeFolderTree(store, mb, f),
      };
    },
    'mail.addGroupPost': (a) => {
      const g = store.groups.get(str(a['group'], 'group'));
      if (!isUnified(g)) throw badRequest('Not a Microsoft 365 group.');
      const text = new TextGenerator(
        new Random(store.seed, 'group-activity', ctx.random.int(0, 2 ** 31 - 1)),
      );
      const post = { body: { contentType: 'html', content: `<p>${text.paragraph(2)}</p>` } };
      const threads = groupThreads(store, g).values();
      if (a['newThread'] === true || threads.length === 0) {
        const t = createThreadRecord(store, g, { topic: text.title(4), posts: [post] });
        return { op: 'addGroupPost', group: g.id, threadKey: t.key, newThread: true };
      }
      const t = threads[ctx.random.int(0, threads.length - 1)] as (typeof threads)[number];
      const posts = postsOf(store, g, t);
      storePost(store, g, t, post, posts[posts.length - 1]?.id ?? null);
      return { op: 'addGroupPost', group: g.id, threadKey: t.key, newThread: false };
    },
    /** Messages whose attachments carry a searchable keyword, per mailbox (for search tests). */
    'mail.keywords': (a) =>
      keywordReport(store, typeof a['user'] === 'string' ? [mailbox(a['user'])] : allMailboxes(store)),
    'mail.randomActivity': async (a) => {
      const count = Math.max(0, Math.min(1000, Number(a['count'] ?? 10)));
      const boxes = typeof a['user'] === 'string' ? [mailbox(a['user'])] : allMailboxes(store);
      const changes: unknown[] = [];
      for (let i = 0; i < count && boxes.length; i++) {
        const mb = boxes[ctx.random.int(0, boxes.length - 1)] as Mailbox;
        const roll = ctx.random.next();
        const folders = messageFolders(store, mb);
        const msgs = folders.flatMap((f) =>
          folderMessages(store, mb, f.key).map((l) => ({ l, id: messageView(store, mb, l.fk, l.rec).id })),
        );
        const pick = msgs.length ? msgs[ctx.random.int(0, msgs.length - 1)] : undefined;
        if (roll < 0.3 || !pick) changes.push(addOne(mb));
        else if (roll < 0.55)
          changes.push(
            await update(mb, pick.id, { isRead: !messageView(store, mb, pick.l.fk, pick.l.rec).isRead }),
          );
        else if (roll < 0.65)
          changes.push(await update(mb, pick.id, { flag: ctx.random.bool() ? 'flagged' : 'complete' }));
        else if (roll < 0.8) {
          const dests = folders.filter((f) => f.key !== pick.l.fk);
          const dest = dests[ctx.random.int(0, dests.length - 1)];
          changes.push(dest ? move(mb, pick.id, dest.id) : addOne(mb));
        } else if (roll < 0.9) changes.push(remove(mb, pick.id));
        else if (roll < 0.95)
          changes.push(addFolder(mb, 'inbox', `Activity ${ctx.random.int(1000, 999_999)}`));
        else {
          const custom = liveFolders(store, mb).filter(
            (f) => !f.wellKnownName && f.parentKey !== null && !f.search && f.key !== 'hidden0',
          );
          const f = custom[ctx.random.int(0, custom.length - 1)];
          if (f) {
            const r = renameFolder(
              store,
              mb,
              f,
              `${f.displayName.replace(/ \(renamed \d+\)$/, '')} (renamed ${ctx.random.int(1, 9999)})`,
            );
            changes.push({ op: 'renameFolder', user: mb.user.id, id: r.id, displayName: r.displayName });
          } else changes.push(addOne(mb));
        }
      }
      return { count: changes.length, changes };
    },
  };
  return ops;
}

export function allMailboxes(store: TenantStore): Mailbox[] {
  return store.users
    .values()
    .filter((u) => u.mailbox !== null)
    .map((user) => ({ key: user.id, user, archive: false }));
}

function keywordReport(store: TenantStore, boxes: Mailbox[]) {
  return boxes.map((mb) => {
    const hits: { id: string; subject: string; keyword: string; attachments: string[] }[] = [];
    let messages = 0;
    for (const f of messageFolders(store, mb)) {
      for (const l of folderMessages(store, mb, f.key)) {
        messages++;
        if (!summaryOf(store, mb, l.rec).keyword) continue;
        const v = messageView(store, mb, l.fk, l.rec);
        if (v.keyword)
          hits.push({
            id: v.id,
            subject: v.subject,
            keyword: v.keyword,
            attachments: v.attachments.map((x) => x.name),
          });
      }
    }
    return {
      user: mb.user.id,
      userPrincipalName: mb.user.userPrincipalName,
      messages,
      keywordMessages: hits.length,
      keywords: hits,
    };
  });
}
