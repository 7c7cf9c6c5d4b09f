// Sign-in rate: each flow GETs /login (session cookie + CSRF token) and POSTs
// the form; a flow counts when the answer is the 303 of a successful sign-in.
// usage: node bench/login_flow.mjs BASE_URL   env: USER, PASSWORD, WORKERS (4), SECONDS (10)
const base = (process.argv[2] || '').replace(/\/$/, '');
if (!base) { console.error('usage: node login_flow.mjs BASE_URL'); process.exit(2); }
const user = process.env.FLOW_USER || 'bench';
const password = process.env.FLOW_PASSWORD || 'tangerine-orbit-4217';
const workers = Number(process.env.WORKERS || 4);
const seconds = Number(process.env.SECONDS || 10);

async function flow() {
  let res = await fetch(`${base}/login`, { redirect: 'manual' });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const html = await res.text();
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error('no CSRF token on /login');
  res = await fetch(`${base}/login`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: csrf, username: user, password }),
  });
  await res.arrayBuffer();
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
}

const latencies = [];
let errors = 0;
const deadline = Date.now() + seconds * 1000;
const started = Date.now();
await Promise.all(Array.from({ length: workers }, async () => {
  while (Date.now() < deadline) {
    const t0 = performance.now();
    try { await flow(); latencies.push(performance.now() - t0); } catch (e) { errors++; if (errors === 1) console.error(e.message); }
  }
}));
const secs = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1) : 'na');
console.log(`RESULT workload=login rps=${(latencies.length / secs).toFixed(2)} p50_ms=${pct(0.5)} p99_ms=${pct(0.99)} requests=${latencies.length} errors=${errors} secs=${secs.toFixed(1)}`);
