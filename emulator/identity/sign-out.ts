import type { EmuRequest, EmuResponse } from '../core/types.js';
import type { TenantStore } from '../tenant/store.js';
import type { SigningKey } from './keys.js';

/**
 * Front-channel sign-out. `post_logout_redirect_uri` is followed only when it is one of the
 * redirect URIs registered on the app named by `client_id` or by the `id_token_hint`'s audience
 * (Entra ID: "must match one of the redirect URIs registered for your application"); otherwise
 * the signed-out page is shown, so the endpoint is no open redirect.
 */
export async function signOut(store: TenantStore, key: SigningKey, req: EmuRequest): Promise<EmuResponse> {
  const target = req.query.get('post_logout_redirect_uri');
  let clientId = req.query.get('client_id') ?? undefined;
  const hint = req.query.get('id_token_hint');
  if (!clientId && hint) {
    const aud = (await key.signedClaims(hint))?.aud;
    clientId = Array.isArray(aud) ? aud[0] : aud;
  }
  const app = clientId ? store.apps.get(clientId) : undefined;
  if (target && app?.redirectUris.includes(target)) {
    const url = new URL(target);
    const state = req.query.get('state');
    if (state !== null) url.searchParams.set('state', state);
    return { status: 302, headers: { location: url.toString() } };
  }
  return {
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: '<!doctype html><title>Signed out</title><p>You signed out of your account.</p>',
  };
}
