// Complete code flows for a user who is already signed in, with consent
// `skip`: GET authorize -> 303 to REDIRECT_URI?code= -> POST token. Each
// worker signs in once first (that bcrypt is not measured).
// usage: node signed_in_flow.mjs BASE_URL
// env:   CLIENT_ID CLIENT_SECRET FLOW_USER FLOW_PASSWORD REDIRECT_URI FLOW_SCOPE [openid]
//        WORKERS [CONNS, the shared workloads' 32] FLOW_SECONDS [10] FLOW_WARMUP_SECONDS [2]
// prints: WRK rps=<flows/s> p50_ms=.. p99_ms=.. requests=<flows> errors=..  (as lib/wrk.lua)
import { createHash, randomBytes } from 'node:crypto';

const base = (process.argv[2] || '').replace(/\/$/, '');
const env = (k, d) => process.env[k] ?? d;
const [CLIENT_ID, CLIENT_SECRET, USER, PASSWORD, REDIRECT_URI] =
  ['CLIENT_ID', 'CLIENT_SECRET', 'FLOW_USER', 'FLOW_PASSWORD', 'REDIRECT_URI'].map((k) => env(k));
if (!base || !CLIENT_ID || !CLIENT_SECRET || !USER || !PASSWORD || !REDIRECT_URI) {
  console.error('usage: signed_in_flow.mjs BASE_URL (env CLIENT_ID CLIENT_SECRET FLOW_USER FLOW_PASSWORD REDIRECT_URI)');
  process.exit(2);
}
const SCOPE = env('FLOW_SCOPE', 'openid');
// As many flows in flight as the shared workloads keep connections open.
const WORKERS = Number(env('WORKERS', env('CONNS', 32)));
const SECONDS = Number(env('FLOW_SECONDS', 10));
const WARMUP = Number(env('FLOW_WARMUP_SECONDS', 2));
const basic = 'Basic ' + Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64');

async function signIn() {
  let res = await fetch(`${base}/login`, { redirect: 'manual' });
  let cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(await res.text())?.[1];
  res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: csrf, username: USER, password: PASSWORD }),
  });
  await res.arrayBuffer();
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
  cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return cookie;
}

async function flow(cookie) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, scope: SCOPE,
    state: randomBytes(8).toString('hex'), nonce: randomBytes(8).toString('hex'),
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  let res = await fetch(`${base}/authorize?${q}`, { redirect: 'manual', headers: { cookie } });
  await res.arrayBuffer();
  const loc = res.headers.get('location') || '';
  const code = loc.startsWith(REDIRECT_URI) ? new URL(loc).searchParams.get('code') : null;
  if (!code) throw new Error(`authorize answered ${res.status} ${loc.slice(0, 80)}`);
  res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier }),
  });
  const body = await res.json();
  if (res.status !== 200 || !body.access_token) throw new Error(`token answered ${res.status}`);
}

async function run(cookies, seconds, record) {
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(cookies.map(async (cookie) => {
    while (Date.now() < deadline) {
      const t0 = performance.now();
      try { await flow(cookie); record.lat.push(performance.now() - t0); } catch (e) { record.errors++; if (record.errors === 1) console.error(e.message); }
    }
  }));
}

// The sign-ins (bcrypt) happen once, before the clock starts.
const cookies = await Promise.all(Array.from({ length: WORKERS }, signIn));
if (WARMUP > 0) await run(cookies, WARMUP, { lat: [], errors: 0 });
const rec = { lat: [], errors: 0 };
const started = Date.now();
await run(cookies, SECONDS, rec);
const secs = (Date.now() - started) / 1000;
rec.lat.sort((a, b) => a - b);
const pct = (p) => (rec.lat.length ? rec.lat[Math.min(rec.lat.length - 1, Math.floor(p * rec.lat.length))].toFixed(2) : 'na');
console.log(`WRK rps=${(rec.lat.length / secs).toFixed(1)} p50_ms=${pct(0.5)} p99_ms=${pct(0.99)} requests=${rec.lat.length} errors=${rec.errors} non200=${rec.errors} socket_errors=0 secs=${secs.toFixed(1)}`);
