// Walks first-run setup, sign-in (with an error) and the account page in a
// real browser, checks what each page shows, and saves a screenshot of each.
// usage: node screenshots.mjs SETUP_LINK OUT_DIR
import { mkdir } from 'node:fs/promises';
import { launch, check } from './lib.mjs';

const [setupLink, outDir = 'screenshots'] = process.argv.slice(2);
if (!setupLink) {
  console.error('usage: node screenshots.mjs SETUP_LINK [OUT_DIR]');
  process.exit(2);
}
const base = new URL(setupLink).origin;
await mkdir(outDir, { recursive: true });
const browser = await launch();
const shots = [];
async function shot(page, name) {
  const path = `${outDir}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  shots.push(path);
}

try {
  for (const width of [1280, 360]) {
    // Only the wide pass runs setup; the narrow pass signs in to the result.
    const context = await browser.newContext({ viewport: { width, height: 800 } });
    const page = await context.newPage();
    const suffix = width === 360 ? '-360' : '';
    if (width === 1280) {
      await page.goto(setupLink);
      check(page.url() === `${base}/setup`, `the code leaves the address bar (${page.url()})`);
      await shot(page, '1-setup-organisation');
      await page.fill('#org_name', 'Acme Ops');
      await page.fill('#issuer', 'http://example.com');
      await page.click('button[type=submit]');
      check((await page.textContent('#issuer-error')).includes('https'), 'issuer error shown');
      await shot(page, '1b-setup-organisation-error');
      await page.fill('#issuer', base);
      await page.click('button[type=submit]');
      await page.fill('#username', 'admin');
      await page.fill('#email', 'admin@acme.example');
      await page.fill('#password', 'password1234');
      await page.fill('#password_confirmation', 'password1234');
      await page.click('button[type=submit]');
      check((await page.textContent('#password-error')).includes('common'), 'common password refused');
      await page.fill('#password', 'plum-tractor-lantern');
      await page.fill('#password_confirmation', 'plum-tractor-lantern');
      await shot(page, '2-setup-admin');
      await page.click('button[type=submit]');
      check(await page.isChecked('input[value=RS256]'), 'RS256 preselected');
      await shot(page, '3-setup-signing-key');
      await page.click('button[type=submit]');
      check((await page.textContent('h1')).includes('ready'), 'setup done');
      await shot(page, '4-setup-done');
      await page.click('text=Sign out');
    }
    await page.goto(`${base}/login`);
    await page.fill('#username', 'admin');
    await page.fill('#password', 'not-the-password');
    await page.click('button[type=submit]');
    check((await page.textContent('.error')).includes('Wrong username or password'), 'login error');
    await shot(page, `5-login-error${suffix}`);
    await page.goto(`${base}/login`);
    await shot(page, `5-login${suffix}`);
    await page.fill('#username', 'admin');
    await page.fill('#password', 'plum-tractor-lantern');
    await page.click('button[type=submit]');
    await page.goto(`${base}/account`);
    check((await page.textContent('h1')).includes('Your account'), 'account page');
    await shot(page, `6-account${suffix}`);
    await page.goto(`${base}/admin`);
    check((await page.textContent('h1')).includes('Administration'), 'admin dashboard');
    await shot(page, `7-admin-dashboard${suffix}`);
    if (width === 1280) {
      await page.goto(`${base}/admin/clients`);
      await shot(page, '8-admin-apps-empty');
      await page.click('text=Register an app');
      await page.fill('#redirect_uris', 'http://wiki.example/cb');
      await page.click('main button[type=submit]');
      check((await page.textContent('#name-error')).includes('name'), 'name error shown');
      await shot(page, '8b-admin-app-new-errors');
      await page.fill('#name', 'Wiki');
      await page.fill('#redirect_uris', 'https://wiki.example/cb');
      await page.click('main button[type=submit]');
      check((await page.textContent('#client-secret')).startsWith('kw_cs_'), 'secret shown once');
      await shot(page, '9-admin-app-created');
      await page.click('text=Edit settings');
      await shot(page, '10-admin-app-settings');
      await page.goto(`${base}/admin/clients`);
      await shot(page, '11-admin-apps');
      await page.click('text=Wiki');
      await page.click('text=Delete…');
      await shot(page, '12-admin-app-delete');
      for (const [path, name] of [['/admin/users', '13-admin-users'], ['/admin/users/new', '14-admin-user-new'],
        ['/admin/scopes', '15-admin-scopes'], ['/admin/scopes/email', '16-admin-scope-edit'],
        ['/admin/keys', '17-admin-keys'], ['/admin/audit', '18-admin-audit'],
        ['/admin/settings', '19-admin-settings'], ['/admin/apikeys', '22-admin-apikeys']]) {
        await page.goto(`${base}${path}`);
        check((await page.textContent('h1')).length > 0, `${path} renders`);
        await shot(page, name);
      }
    }
    if (width === 1280) {
      await page.goto(`${base}/admin/users`);
      await page.click('table >> text=admin');
      check((await page.textContent('h1')).includes('admin'), 'a person\'s page');
      await shot(page, '20-admin-user');
      await page.fill('#email', 'not-an-email');
      await page.click('form[action^="/admin/users/"] button[type=submit]');
      check((await page.textContent('#email-error')).includes('email address'), 'field error shown');
      await shot(page, '20b-admin-user-error');
      await page.goto(`${base}/admin/settings`);
      await page.fill('#default_access_token_ttl', '5');
      await page.click('main button[type=submit]');
      check((await page.textContent('#access-error')).includes('60 seconds'), 'lifetime error shown');
      await shot(page, '19b-admin-settings-error');
      await page.goto(`${base}/admin/clients/new`);
      await page.fill('#name', 'Prometheus');
      await page.uncheck('input[value=authorization_code]');
      await page.uncheck('input[value=refresh_token]');
      await page.check('input[value=client_credentials]');
      await page.click('main button[type=submit]');
      check((await page.textContent('#integrate')).includes('scrape_config'), 'prometheus snippet');
      await shot(page, '21-admin-app-machine-integrate');
      await page.click('text=Edit settings');
      await shot(page, '21b-admin-app-machine-policy');
      await page.goto(`${base}/admin/apikeys`);
      await page.fill('#name', 'terraform');
      await page.click('main button[type=submit]');
      check((await page.textContent('#new-api-key')).startsWith('kw_ak_'), 'API key shown once');
      await shot(page, '22b-admin-apikey-created');
      await page.goto(`${base}/admin/audit`);
      await shot(page, '18b-admin-audit-after');
    }
    await context.close();
  }

  // Sessions: a phone signs in from another address (through the trusted
  // proxy the script's server is told about), a guesser fails five times
  // from a third; the account page lists both sessions, the admin's page for
  // the person shows them and the paused address.
  const from = (ip, ua) => browser.newContext({
    viewport: { width: 1280, height: 800 },
    extraHTTPHeaders: { 'X-Forwarded-For': ip },
    ...(ua ? { userAgent: ua } : {}),
  });
  const signIn = async (page, password) => {
    await page.goto(`${base}/login`);
    await page.fill('#username', 'admin');
    await page.fill('#password', password);
    await page.click('main button[type=submit]');
  };
  const phone = await from('203.0.113.50',
    'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36');
  await signIn(await phone.newPage(), 'plum-tractor-lantern');
  const guesser = await (await from('198.51.100.66')).newPage();
  for (let i = 0; i < 5; i++) await signIn(guesser, 'not-the-password');
  await signIn(guesser, 'plum-tractor-lantern');
  check((await guesser.textContent('.error')).includes('try again in'), 'the guessing address is paused');
  for (const width of [1280, 360]) {
    const laptop = await browser.newContext({ viewport: { width, height: 800 }, extraHTTPHeaders: { 'X-Forwarded-For': '198.51.100.7' } });
    const page = await laptop.newPage();
    const suffix = width === 360 ? '-360' : '';
    await signIn(page, 'plum-tractor-lantern');
    await page.goto(`${base}/account`);
    const sessions = await page.textContent('main');
    check(sessions.includes('203.0.113.50') && sessions.includes('Chrome on Android'), 'the phone is listed');
    check(sessions.includes('this session'), 'this session is marked');
    await shot(page, `23-account-sessions${suffix}`);
    await page.goto(`${base}/admin/users`);
    await page.click('table >> text=admin');
    const person = await page.textContent('main');
    check(person.includes('198.51.100.66 until'), 'the paused address is shown');
    check(person.includes('203.0.113.50'), 'the person\'s sessions are shown');
    await shot(page, `24-admin-user-sessions-throttle${suffix}`);
    await laptop.close();
  }
  console.log(`screenshots: ${shots.join(' ')}`);
} finally {
  await browser.close();
}
