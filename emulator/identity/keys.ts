import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  compactVerify,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type CryptoKey,
} from 'jose';
import { createHash } from 'node:crypto';

/** The emulator's token-signing key, published as a JWKS like Entra ID's. */
export class SigningKey {
  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    readonly kid: string,
  ) {}

  static async load(stateDir: string | undefined): Promise<SigningKey> {
    const path = stateDir ? join(stateDir, 'signing-key.json') : undefined;
    if (path) {
      try {
        const jwk = JSON.parse(await readFile(path, 'utf8')) as JWK;
        return await SigningKey.fromPrivateJwk(jwk);
      } catch {
        // none yet or unreadable: make one
      }
    }
    const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    const jwk = await exportJWK(privateKey);
    if (path) {
      await mkdir(stateDir as string, { recursive: true });
      await writeFile(path, JSON.stringify(jwk), { mode: 0o600 });
    }
    return SigningKey.fromPrivateJwk(jwk);
  }

  private static async fromPrivateJwk(jwk: JWK): Promise<SigningKey> {
    const privateKey = (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as CryptoKey;
    const { n, e } = jwk;
    const kid = createHash('sha256').update(`${n}.${e}`).digest('base64url').slice(0, 27);
    return new SigningKey(privateKey, { kty: 'RSA', use: 'sig', kid, n, e }, kid);
  }

  sign(payload: JWTPayload, lifetimeSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(payload)
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: this.kid, x5t: this.kid })
      .setIssuedAt(now)
      .setNotBefore(now - 5 * 60)
      .setExpirationTime(now + lifetimeSeconds)
      .sign(this.privateKey);
  }

  /** Verifies a token this emulator issued; throws jose errors on any problem. */
  async verify(token: string): Promise<JWTPayload> {
    const key = await importJWK({ ...this.publicJwk, alg: 'RS256' }, 'RS256');
    const { payload } = await jwtVerify(token, key, { algorithms: ['RS256'], clockTolerance: 5 * 60 });
    return payload;
  }

  /**
   * The claims of a token this emulator signed, checking the signature only (an `id_token_hint`
   * may be expired and still name its app); undefined for anything else.
   */
  async signedClaims(token: string): Promise<JWTPayload | undefined> {
    try {
      const key = await importJWK({ ...this.publicJwk, alg: 'RS256' }, 'RS256');
      const { payload } = await compactVerify(token, key, { algorithms: ['RS256'] });
      const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
      return claims && typeof claims === 'object' ? (claims as JWTPayload) : undefined;
    } catch {
      return undefined;
    }
  }

  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk, x5t: this.kid }] };
  }
}
