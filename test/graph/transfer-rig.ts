import type { Exchange } from './fault-proxy.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { GraphClient, GraphError, collect, delta } from '../../src/graph/index.js';
import type { Emulator, EmulatorOptions } from '../../emulator/server.js';
import { startEmulator, type RawGraph } from '../support/raw-graph.js';
import { clientFor } from '../support/graph-client.js';
import { FaultProxy } from './fault-proxy.js';

/**
 * An emulator with two Safehold clients: `direct` talks to it as a tenant, `proxied` goes through a
 * FaultProxy that records the wire and breaks exchanges on demand. The proxied client takes its
 * tokens from RawGraph (a token's audience is the emulator's own origin, not the proxy's), so
 * sign-in is not what these tests exercise.
 */
export interface TransferRig {
  emulator: Emulator;
  raw: RawGraph;
  proxy: FaultProxy;
  direct: GraphClient;
  proxied: GraphClient;
  stop(): Promise<void>;
}

/** Backoff draws from this instead of Math.random so retries wait a few ms, not seconds. */
const QUICK = () => 0.02;

export async function startRig(opts: EmulatorOptions = {}): Promise<TransferRig> {
  const { emulator, raw, stop } = await startEmulator(opts);
  const info = emulator.info;
  const proxy = await FaultProxy.start(info.graphUrl, readFileSync(info.caFile, 'utf8'));
  const direct = clientFor(info);
  const proxied = new GraphClient(
    {
      tenantId: info.tenantId,
      clientId: info.clientId,
      credential: { kind: 'secret', secret: info.clientSecret },
      graphUrl: proxy.origin,
      loginUrl: info.loginUrl,
      ca: proxy.ca,
    },
    { tokens: { token: () => raw.accessToken() }, random: QUICK },
  );
  return {
    emulator,
    raw,
    proxy,
    direct,
    proxied,
    stop: async () => {
      await proxied.close();
      await direct.close();
      await proxy.close();
      await stop();
    },
  };
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A file's bytes as a plain HTTP client gets them: `/content`, then its 302 Location without a token. */
export async function rawContent(raw: RawGraph, drive: string, id: string): Promise<Buffer> {
  const r = await raw.get(`/v1.0/drives/${drive}/items/${id}/content`);
  if (r.status !== 302) throw new Error(`/content answered ${r.status}`);
  const d = await raw.send('GET', r.headers['location'] as string);
  if (d.status !== 200) throw new Error(`the download URL answered ${d.status}`);
  return d.body;
}

export interface DriveFile {
  driveId: string;
  id: string;
  name: string;
  size: number;
}

/** The user's first drive that exists, found through Graph with the client's own paging. */
export async function firstUserDrive(client: GraphClient): Promise<{ userId: string; driveId: string }> {
  for (const u of await collect<{ id: string }>(client, '/users?$select=id')) {
    try {
      const d = await client.get<{ id: string }>(`/users/${u.id}/drive?$select=id`);
      return { userId: u.id, driveId: d.id };
    } catch (e) {
      if (!(e instanceof GraphError && e.status === 404)) throw e;
    }
  }
  throw new Error('no user has a drive');
}

/** The biggest file in any user's drive, located with a delta round per drive. */
export async function biggestFile(client: GraphClient): Promise<DriveFile> {
  let best: DriveFile | undefined;
  for (const u of await collect<{ id: string }>(client, '/users?$select=id')) {
    let driveId: string;
    try {
      driveId = (await client.get<{ id: string }>(`/users/${u.id}/drive?$select=id`)).id;
    } catch (e) {
      if (e instanceof GraphError && e.status === 404) continue;
      throw e;
    }
    for await (const page of delta<Record<string, any>>(client, `/drives/${driveId}/root/delta`)) {
      for (const item of page.value) {
        if (item['file'] && typeof item['size'] === 'number' && item['size'] > (best?.size ?? -1))
          best = { driveId, id: item['id'], name: item['name'], size: item['size'] };
      }
    }
  }
  if (!best) throw new Error('no files in any drive');
  return best;
}

/** Content-Range headers of the PUTs the proxy saw. */
export const ranges = (list: Exchange[]) => list.map((e) => e.headers['content-range']);

/** Content-Range headers of an in-order upload of `size` bytes in `chunk`-byte PUTs. */
export function chunkRanges(size: number, chunk: number): string[] {
  const out: string[] = [];
  for (let o = 0; o < size; o += chunk) out.push(`bytes ${o}-${Math.min(o + chunk, size) - 1}/${size}`);
  return out;
}
