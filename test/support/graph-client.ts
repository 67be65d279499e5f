import { readFileSync } from 'node:fs';
import { GraphClient, type GraphConfig } from '../../src/graph/index.js';
import type { EmulatorInfo } from '../../emulator/server.js';

/** Safehold's Graph client configured for an emulator, as an administrator would for a tenant. */
export function clientFor(info: EmulatorInfo, overrides: Partial<GraphConfig> = {}): GraphClient {
  return new GraphClient({
    tenantId: info.tenantId,
    clientId: info.clientId,
    credential: { kind: 'secret', secret: info.clientSecret },
    graphUrl: info.graphUrl,
    loginUrl: info.loginUrl,
    ca: readFileSync(info.caFile, 'utf8'),
    ...overrides,
  });
}
