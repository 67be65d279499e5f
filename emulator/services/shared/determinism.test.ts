import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { RawGraph } from '../../../test/support/raw-graph.js';

/**
 * Generated content is a function of the seed and the profile alone: not of other emulators in
 * the same process, of the live directory, or of the order requests come in.
 */

type Json = Record<string, any>;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A fresh copy of every emulator module, so nothing cached by an earlier emulator can help. */
async function freshStart() {
  vi.resetModules();
  return (await import('../../../test/support/raw-graph.js')).startEmulator;
}

/** Sent items, a received thread's MIME and a group's posts: all content of the seeded plan. */
async function mailAndGroups(raw: RawGraph, userId: string): Promise<string> {
  const base = `/v1.0/users/${userId}`;
  const sent = (await raw.get(`${base}/mailFolders/sentitems/messages?$top=8&$orderby=receivedDateTime asc`))
    .json.value as Json[];
  const out: string[] = [];
  for (const m of sent) {
    const mime = await raw.get(`${base}/messages/${m.id}/$value`);
    out.push(`${m.subject}|${JSON.stringify(m.toRecipients)}|${sha(mime.body)}`);
  }
  const group = (await raw.all('/v1.0/groups?$top=999')).items.find((g) => g.groupTypes.includes('Unified'));
  const threads = (await raw.get(`/v1.0/groups/${group.id}/threads?$top=5`)).json.value as Json[];
  for (const t of threads) {
    const posts = (await raw.get(`/v1.0/groups/${group.id}/threads/${t.id}/posts`)).json.value as Json[];
    out.push(JSON.stringify(posts.map((p) => [p.from, p.body])));
  }
  return out.join('\n');
}

describe('emulators in one process', () => {
  it('a medium tenant serves the same content after a small one with the same seed as alone', async () => {
    let start = await freshStart();
    const small = await start({ profile: 'small', seed: 1 });
    const first = (await small.raw.admin('GET', '/users')).json.value[0] as Json;
    const smallView = await mailAndGroups(small.raw, first.id);
    await small.stop();
    const afterSmall = await start({ profile: 'medium', seed: 1 });
    const shared = await mailAndGroups(afterSmall.raw, first.id);
    await afterSmall.stop();

    start = await freshStart();
    const alone = await start({ profile: 'medium', seed: 1 });
    const reference = await mailAndGroups(alone.raw, first.id);
    await alone.stop();
    expect(reference).not.toBe(smallView);
    expect(shared).toBe(reference);
  }, 120_000);
});

describe('generation depends on the seed only', () => {
  /** What a directory change could leak into: drive items, mailbox MIME, a deleted team's posts. */
  interface Subjects {
    renamed: Json;
    deleted: Json;
    renamedDrive: string;
    deletedDrive: string;
    team: string;
    channel: string;
  }

  async function subjects(raw: RawGraph): Promise<Subjects> {
    const users = (await raw.admin('GET', '/users')).json.value as Json[];
    const licensed = users.filter((u) => u.mailbox === 'user' && u.accountEnabled).slice(0, 2);
    const [renamed, deleted] = licensed as [Json, Json];
    const team = (await raw.all('/v1.0/teams')).items[1];
    const channel = (await raw.all(`/v1.0/teams/${team.id}/channels`)).items[0];
    return {
      renamed,
      deleted,
      renamedDrive: (await raw.get(`/v1.0/users/${renamed.id}/drive`)).json.id,
      deletedDrive: (await raw.get(`/v1.0/users/${deleted.id}/drive`)).json.id,
      team: team.id,
      channel: channel.id,
    };
  }

  async function change(raw: RawGraph, s: Subjects): Promise<void> {
    const act = (op: string, args: Json) => raw.admin('POST', '/activity', { op, args });
    await act('updateUser', { id: s.renamed.id, set: { displayName: 'Renamed Person' } });
    await act('deleteUser', { id: s.deleted.id });
    await act('deleteGroup', { id: s.team });
  }

  async function driveItems(raw: RawGraph, driveId: string): Promise<string> {
    const items = (await raw.all(`/v1.0/drives/${driveId}/root/delta?$expand=permissions`)).items;
    return JSON.stringify(
      items.map((i) => {
        const { '@microsoft.graph.downloadUrl': _url, ...rest } = i;
        return rest;
      }),
    ).replaceAll(raw.info.graphUrl, '');
  }

  async function mailbox(raw: RawGraph, userId: string): Promise<string> {
    const base = `/v1.0/users/${userId}`;
    const out: string[] = [];
    for (const folder of ['inbox', 'drafts']) {
      const list = (await raw.get(`${base}/mailFolders/${folder}/messages?$top=6`)).json.value as Json[];
      for (const m of list) out.push(sha((await raw.get(`${base}/messages/${m.id}/$value`)).body));
    }
    return out.join(',');
  }

  /** Posts of a team are read from the store: once its group is deleted, Graph no longer shows it. */
  function teamPosts(env: { emulator: { store: any } }, s: Subjects): string {
    const posts = env.emulator.store.collection(`teams:posts|${s.team}|${s.channel}`).values() as Json[];
    return JSON.stringify(posts.map((p) => [p.id, p.from, p.body, p.mentions]));
  }

  async function touch(raw: RawGraph, s: Subjects, teamVisible: boolean) {
    if (teamVisible)
      await raw.get(`/v1.0/teams/${s.team}/channels/${encodeURIComponent(s.channel)}/messages?$top=1`);
    return {
      renamedDrive: await driveItems(raw, s.renamedDrive),
      deletedDrive: await driveItems(raw, s.deletedDrive),
      mail: await mailbox(raw, s.renamed.id),
    };
  }

  /** Compares part by part, naming the part that differs (the JSON is long). */
  function same(actual: Record<string, string>, expected: Record<string, string>) {
    for (const [k, v] of Object.entries(expected))
      expect(`${k}: ${sha(Buffer.from(actual[k] ?? ''))}`).toBe(`${k}: ${sha(Buffer.from(v))}`);
  }

  it('gives the same drive items, MIME and posts whether the directory changed before or after', async () => {
    const start = await freshStart();
    const touchedFirst = await start({ seed: 5 });
    const s = await subjects(touchedFirst.raw);
    const before = await touch(touchedFirst.raw, s, true);
    await change(touchedFirst.raw, s);
    const reference = { ...(await touch(touchedFirst.raw, s, false)), posts: teamPosts(touchedFirst, s) };
    expect(reference.renamedDrive).toBe(before.renamedDrive);
    expect(reference.posts).not.toBe('[]');
    await touchedFirst.stop();

    const stateDir = await mkdtemp(join(tmpdir(), 'determinism-'));
    dirs.push(stateDir);
    const changedFirst = await start({ seed: 5, stateDir });
    await change(changedFirst.raw, s);
    const afterChange = { ...(await touch(changedFirst.raw, s, false)), posts: teamPosts(changedFirst, s) };
    await changedFirst.stop();
    same(afterChange, reference);

    const replayed = await start({ seed: 5, stateDir });
    const afterReplay = { ...(await touch(replayed.raw, s, false)), posts: teamPosts(replayed, s) };
    await replayed.stop();
    same(afterReplay, reference);
  }, 120_000);
});
