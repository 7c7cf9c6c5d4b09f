// The browser test CI runs: an admin signs in, registers a public app in the
// admin UI, and a fresh browser completes the authorization code flow with
// PKCE for that app through the real sign-in and consent pages. The tokens
// are then checked: the ID token's signature against the JWKS and its claims,
// and the access token at /userinfo.
// usage: node code-flow.mjs BASE_URL ADMIN PASSWORD
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { launch, check } from './lib.mjs';

const [base, admin, password] = process.argv.slice(2);
if (!base || !admin || !password) {
  console.error('usage: node code-flow.mjs BASE_URL ADMIN PASSWORD');
  process.exit(2);
}
// A loopback redirect URI (native/SPA style); the browser never reaches it:
// the test catches the navigation and reads the code from it.
const redirectUri = 'http://127.0.0.1:5999/callback';
const b64url = (buf) => buf.toString('base64url');

const browser = await launch();
try {
  // 1. The admin registers a public app in the UI.
  const adminCtx = await browser.newContext();
  const page = await adminCtx.newPage();
  await page.goto(`${base}/login?return_to=/admin/clients/new`);
  await page.fill('#username', admin);
  await page.fill('#password', password);
  await page.click('main button[type=submit]');
  check(page.url() === `${base}/admin/clients/new`, `back at the registration form (${page.url()})`);
  await page.fill('#name', 'Notes SPA');
  await page.check('input[name=client_type][value=public]');
  await page.fill('#redirect_uris', redirectUri);
  await page.click('main button[type=submit]');
  check((await page.textContent('h1')).includes('Notes SPA'), 'the app page shows');
  check(await page.locator('#client-secret').count() === 0, 'a public app has no secret');
  const clientId = (await page.textContent('dl.facts dd code')).trim();
  check(clientId.length > 0, 'client id shown');
  check((await page.textContent('#integrate')).includes('S256 (required)'), 'integrate panel');
  await adminCtx.close();

  // 2. A fresh browser runs the code flow with PKCE.
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const ctx = await browser.newContext();
  const flow = await ctx.newPage();
  let callback = null;
  await ctx.route(`${redirectUri}**`, async (route) => {
    callback = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'signed in' });
  });
  const authorize = new URL(`${base}/authorize`);
  for (const [k, v] of Object.entries({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri,
    scope: 'openid profile email', state, nonce,
    code_challenge: challenge, code_challenge_method: 'S256',
  })) authorize.searchParams.set(k, v);
  await flow.goto(authorize.toString());
  check(new URL(flow.url()).pathname === '/login', `sign-in page first (${flow.url()})`);
  await flow.fill('#username', admin);
  await flow.fill('#password', password);
  await flow.click('main button[type=submit]');
  const consent = await flow.textContent('main');
  check(consent.includes('Notes SPA'), 'the consent page names the app');
  check(consent.includes('email'), 'the consent page lists the scopes');
  await flow.click('button[value=allow]');
  await flow.waitForURL(`${redirectUri}**`);
  check(callback !== null, 'redirected to the app');
  check(callback.searchParams.get('state') === state, 'state echoed');
  check(callback.searchParams.get('iss') === base, 'RFC 9207 iss');
  const code = callback.searchParams.get('code');
  check(code && code.length >= 22, 'a code');
  await ctx.close();

  // 3. The app redeems the code (no secret: a public client, PKCE instead).
  const tokenRes = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri,
      client_id: clientId, code_verifier: verifier,
    }),
  });
  check(tokenRes.status === 200, `token response ${tokenRes.status}`);
  check(tokenRes.headers.get('cache-control') === 'no-store', 'no-store');
  const tokens = await tokenRes.json();
  check(tokens.token_type === 'Bearer' && tokens.expires_in > 0, 'bearer token with a lifetime');
  check(tokens.access_token.startsWith('kw_at_'), 'opaque access token');

  // The ID token: signature by a JWKS key, then the claims.
  const [h, p, s] = tokens.id_token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  const jwks = await (await fetch(`${base}/.well-known/jwks.json`)).json();
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  check(jwk && header.alg === 'RS256', `signed RS256 by a published key (${header.alg} ${header.kid})`);
  const ok = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk, format: 'jwk' }),
    Buffer.from(s, 'base64url'));
  check(ok, 'ID token signature verifies');
  const now = Math.floor(Date.now() / 1000);
  check(claims.iss === base, 'iss');
  check(claims.aud === clientId || (Array.isArray(claims.aud) && claims.aud.includes(clientId)), 'aud');
  check(claims.nonce === nonce, 'nonce');
  check(claims.exp > now && claims.iat <= now + 5, 'exp and iat');
  check(typeof claims.auth_time === 'number', 'auth_time');
  const atHash = b64url(createHash('sha256').update(tokens.access_token).digest().subarray(0, 16));
  check(claims.at_hash === atHash, 'at_hash');

  // The access token at /userinfo: the same subject, the granted claims.
  const info = await (await fetch(`${base}/userinfo`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  })).json();
  check(info.sub === claims.sub, 'userinfo sub equals the ID token sub');
  check(info.preferred_username === admin, 'profile claims released');
  // A second redemption of the code fails.
  const again = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri,
      client_id: clientId, code_verifier: verifier,
    }),
  });
  check(again.status === 400 && (await again.json()).error === 'invalid_grant', 'code is single use');
  console.log(`browser code flow: ok (client ${clientId}, sub ${claims.sub})`);
} finally {
  await browser.close();
}
