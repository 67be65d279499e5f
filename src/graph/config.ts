/** Microsoft's national clouds: where to sign in and where Graph lives. */
export const CLOUDS = {
  global: { loginUrl: 'https://login.microsoftonline.com', graphUrl: 'https://graph.microsoft.com' },
  usgov: { loginUrl: 'https://login.microsoftonline.us', graphUrl: 'https://graph.microsoft.us' },
  'usgov-dod': { loginUrl: 'https://login.microsoftonline.us', graphUrl: 'https://dod-graph.microsoft.us' },
  china: { loginUrl: 'https://login.chinacloudapi.cn', graphUrl: 'https://microsoftgraph.chinacloudapi.cn' },
} as const;

export type CloudName = keyof typeof CLOUDS;

export type GraphCredential =
  | { kind: 'secret'; secret: string }
  | {
      kind: 'certificate';
      /** PEM certificate (public part) registered on the app. */
      certificatePem: string;
      /** PEM private key, PKCS#8 or PKCS#1, encrypted when `password` is given. */
      privateKeyPem: string;
      password?: string;
    };

export interface GraphConfig {
  tenantId: string;
  clientId: string;
  credential: GraphCredential;
  /** Cloud presets; `graphUrl`/`loginUrl` override them (the emulator, a proxy). */
  cloud?: CloudName;
  graphUrl?: string;
  loginUrl?: string;
  /**
   * Where SharePoint REST requests go instead of the site's own host (its token audience stays
   * the site's origin): a reverse proxy, or an emulator that serves every host on one origin.
   */
  sharepointOrigin?: string;
  /** Extra trusted CA certificates (PEM), e.g. the emulator's. */
  ca?: string;
  /** Version segment for paths that do not name one. */
  apiVersion?: 'v1.0' | 'beta';
  /** Appended to the traffic decoration `ISV|Safehold|Safehold/<version>`. */
  userAgentSuffix?: string;
  /** Licensed seats in the tenant; sizes the SharePoint resource-unit budget (default: smallest tier). */
  tenantLicenses?: number;
  /** Requests the client keeps in flight in total (default 64). */
  maxConcurrency?: number;
  /** Attempts per request before a retriable failure becomes an error (default 8). */
  maxAttempts?: number;
  /** Time allowed for response headers per attempt, ms (default 120 s). */
  requestTimeoutMs?: number;
  /**
   * Multiplies the documented throttling windows the client paces itself by (10 minutes per
   * mailbox, 1 minute and 24 hours of SharePoint units, 1 second per channel). Leave at 1 for
   * Microsoft; set it to an emulator's `--time-scale` when that emulator compresses time.
   */
  limitWindowScale?: number;
}

export interface ResolvedEndpoints {
  graphUrl: string;
  loginUrl: string;
}

export function resolveEndpoints(
  cfg: Pick<GraphConfig, 'cloud' | 'graphUrl' | 'loginUrl'>,
): ResolvedEndpoints {
  const cloud = CLOUDS[cfg.cloud ?? 'global'];
  if (!cloud) throw new Error(`unknown cloud '${cfg.cloud}'; use ${Object.keys(CLOUDS).join(', ')}`);
  const strip = (u: string) => u.replace(/\/+$/, '');
  return { graphUrl: strip(cfg.graphUrl ?? cloud.graphUrl), loginUrl: strip(cfg.loginUrl ?? cloud.loginUrl) };
}
