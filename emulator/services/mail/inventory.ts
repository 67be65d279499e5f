import type { ServiceContext } from '../../core/service.js';
import { allMailboxes } from './activity.js';
import { isUnified } from './group-gen.js';
import { entriesOf, liveFolders, messageColl, messageFolders, type Mailbox } from './mailbox.js';
import { groupPosts, groupThreads } from './group-model.js';
import { summaryOf } from './view.js';

/**
 * Exact counts of what a Graph-only crawl can see. `folders` counts every folder below
 * msgfolderroot (hidden and search folders included, the root itself not); `messages` counts
 * items in real folders (search folders only show them again). Archives count the same way,
 * their root included (the mailbox import/export API lists it).
 */
export function mailInventory(ctx: ServiceContext): Record<string, number> {
  const { store } = ctx;
  const out = {
    mailboxes: 0,
    folders: 0,
    searchFolders: 0,
    messages: 0,
    attachments: 0,
    messagesWithAttachments: 0,
    keywordMessages: 0,
    sharedAttachmentMessages: 0,
    archiveMailboxes: 0,
    archiveFolders: 0,
    archiveMessages: 0,
    groupConversations: 0,
    groupThreads: 0,
    groupPosts: 0,
  };
  const count = (mb: Mailbox) => {
    let n = 0;
    for (const f of messageFolders(store, mb)) n += messageColl(store, mb, f.key).size;
    return n;
  };
  for (const mb of allMailboxes(store)) {
    out.mailboxes++;
    const folders = liveFolders(store, mb).filter((f) => f.parentKey !== null);
    out.folders += folders.length;
    out.searchFolders += folders.filter((f) => f.search).length;
    out.messages += count(mb);
    const entries = entriesOf(store, mb.key);
    for (const f of messageFolders(store, mb)) {
      for (const e of messageColl(store, mb, f.key).live()) {
        const v = summaryOf(store, mb, e.value);
        out.attachments += v.attachments;
        if (v.hasAttachments) out.messagesWithAttachments++;
        if (v.keyword) out.keywordMessages++;
        if (e.value.g !== undefined && !e.value.s && entries[e.value.g]?.t === 'big')
          out.sharedAttachmentMessages++;
      }
    }
    if (mb.user.archiveMailboxId) {
      const arch: Mailbox = { key: `arch.${mb.user.id}`, user: mb.user, archive: true };
      out.archiveMailboxes++;
      out.archiveFolders += liveFolders(store, arch).length;
      out.archiveMessages += count(arch);
    }
  }
  for (const g of store.groups.values()) {
    if (!isUnified(g)) continue;
    const threads = groupThreads(store, g).values();
    out.groupThreads += threads.length;
    out.groupConversations += new Set(threads.map((t) => t.conversationKey)).size;
    for (const t of threads) out.groupPosts += groupPosts(store, g, t).size;
  }
  return out;
}
