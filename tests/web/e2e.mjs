// e2e.mjs -- the web page end to end: the real linksnapd (its own state dir, web server on
// 127.0.0.1 port 0) and the system Chromium (headless) driven by playwright-core. Captures
// of real pages are never made: links are added with capture off and finished snapshots
// are faked into the store (fake_snapshot.py); once a capture engine answers
// snapshot.request, one more case captures a page served here on 127.0.0.1.
// Screenshots of every page (light/dark, desktop/phone) go to the build dir, or to
// docs/img when LINKSNAP_WEB_SHOTS=docs. Ends with "N passed, N failed".
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SRC = process.env.LINKSNAP_SRC || path.join(here, '..', '..');
const BUILD = process.env.LINKSNAP_BUILD || path.join(SRC, 'build');
// Debian's headless shell (the old headless mode, Playwright's own choice for headless
// runs and linksnapd's default browser): the same Blink as the full browser, at about half
// the CPU a page here; LINKSNAP_CHROMIUM=/usr/bin/chromium runs the full one
const CHROMIUM = process.env.LINKSNAP_CHROMIUM || '/usr/bin/chromium-headless-shell';
let chromium;
try {
  ({ chromium } = await import(path.join(here, 'node_modules', 'playwright-core', 'index.mjs')));
} catch {
  console.error('e2e: playwright-core is missing: run scripts/install-deps.sh --test (npm ci in tests/web)');
  process.exit(1);
}

// ---- the daemon ---------------------------------------------------------------------
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'linksnap-web-'));
const state = path.join(root, 'state');
const logPath = path.join(root, 'linksnapd.log');
const log = fs.openSync(logPath, 'a');
const daemon = spawn(path.join(BUILD, 'daemon', 'linksnapd'),
  ['--state-dir', state, '--socket', path.join(root, 's.sock'), '--http-listen', '127.0.0.1:0', '-v'],
  { stdio: ['ignore', log, log], env: { ...process.env, ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1' } });
let URL_ = null;
for (let i = 0; i < 300 && !URL_; i++) {
  await new Promise((r) => setTimeout(r, 100));
  const m = /web page at (http:\/\/\S+)/.exec(fs.readFileSync(logPath, 'utf8'));
  if (m) URL_ = m[1];
  if (daemon.exitCode !== null) break;
}
if (!URL_) {
  console.error('e2e: linksnapd did not start:\n' + fs.readFileSync(logPath, 'utf8'));
  process.exit(1);
}

// there is always a token: the one linksnapd made at its first start
const TOKEN = fs.readFileSync(path.join(state, 'http.token'), 'utf8').trim();
async function rpc(method, params) {
  const res = await fetch(URL_ + '/rpc', {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + TOKEN },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: params || {} }),
  });
  const doc = await res.json();
  if (doc.error) { const e = new Error(doc.error.message); e.code = doc.error.code; throw e; }
  return doc.result;
}
// log in once as `linksnap web`'s address does: a session cookie, and a redirect to the
// same page without the token; every browser context then carries that cookie
const SESSION = await (async () => {
  const res = await fetch(URL_ + '/?token=' + TOKEN, { redirect: 'manual' });
  const loc = res.headers.get('location') || '';
  if (res.status !== 303 || loc.includes('token=')) throw new Error(`login address: ${res.status} ${loc}`);
  const c = /linksnap_session=([0-9a-f]{64})/.exec(res.headers.get('set-cookie') || '');
  if (!c) throw new Error('login address set no session cookie');
  return ['linksnap_session', c[1]];
})();
async function hasMethod(name) {
  try { await rpc(name, {}); return true; } catch (e) { return e.code !== -32601; }
}
// The store's fixtures come from one python3 for the whole run (fake_snapshot.py --serve,
// webtest's fake_snapshot and fake_kept): a request a line, its answer a line.
const fixtures = spawn('python3', [path.join(here, 'fake_snapshot.py'), '--serve', state], { stdio: ['pipe', 'pipe', 'inherit'] });
const fixtureWaits = [];
let fixtureOut = '';
fixtures.stdout.on('data', (b) => {
  fixtureOut += b;
  for (let nl; (nl = fixtureOut.indexOf('\n')) >= 0;) {
    const line = fixtureOut.slice(0, nl);
    fixtureOut = fixtureOut.slice(nl + 1);
    fixtureWaits.shift()(JSON.parse(line));
  }
});
fixtures.stdin.on('error', () => {});   // its exit says why
fixtures.on('exit', (c) => { for (const w of fixtureWaits.splice(0)) w({ error: 'fake_snapshot.py exited with ' + c }); });
let fixtureChain = Promise.resolve();
function fixture(req) {   // one request at a time, in order
  const p = fixtureChain.then(() => new Promise((resolve) => {
    if (fixtures.exitCode !== null) { resolve({ error: 'exited with ' + fixtures.exitCode }); return; }
    fixtureWaits.push(resolve);
    fixtures.stdin.write(JSON.stringify(req) + '\n');
  })).then((ans) => { if (ans.error) throw new Error('fake_snapshot.py: ' + ans.error); return ans; });
  fixtureChain = p.catch(() => {});
  return p;
}
// kept: {title?, text?, mhtml?, pdf?, status?}: the page's text and files the capture kept
async function fakeSnapshot(linkId, w = 1280, h = 3000, kept = null) {
  return (await fixture({ link: linkId, w, h, kept })).sid;
}
// one SQL statement on the store, committed; its rows
async function storeSql(sql, params = []) {
  return (await fixture({ sql, params })).rows;
}
async function addLink(url, tags, title) {
  return (await rpc('link.add', { url, tags, title, capture: false })).link;
}

// ---- the browser ----------------------------------------------------------------------
const args = ['--disable-gpu', '--font-render-hinting=none'];
if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
const shotDir = process.env.LINKSNAP_WEB_SHOTS === 'docs' ? path.join(SRC, 'docs', 'img') : path.join(BUILD, 'tests', 'web', 'img');
fs.mkdirSync(shotDir, { recursive: true });

// Pages are kept from case to case: a new browser context and page cost a second here (a
// renderer process), a load of the page a third of that. Each case still begins with a
// full load of its first address; when it passes, its pages are parked on /icon.svg (their
// scripts and event socket end) and the next case asking for the same locale, phone or not
// and time zone gets one, its viewport and colour scheme set anew and the mouse at 0,0.
// A failed case's pages are closed. {fresh: true}: a context of the case's own, closed
// after it (a case that leaves something in the browser: localStorage, windows).
const pool = new Map();   // [locale, mobile, timezoneId] -> parked pages
let casePages = [];
async function newPage(opts = {}) {
  const viewport = opts.viewport || { width: 1280, height: 860 };
  const key = JSON.stringify([opts.locale || 'zh-CN', !!opts.mobile, opts.timezoneId || '']);
  let page = !opts.fresh && pool.get(key)?.pop();
  if (page) {
    await page.setViewportSize(viewport);
    await page.emulateMedia({ colorScheme: opts.dark ? 'dark' : 'light' });
    await page.mouse.move(0, 0);
  } else {
    const ctx = await browser.newContext({ viewport, locale: opts.locale || 'zh-CN', colorScheme: opts.dark ? 'dark' : 'light',
      deviceScaleFactor: 1, isMobile: !!opts.mobile, hasTouch: !!opts.mobile, timezoneId: opts.timezoneId });
    await ctx.addCookies([{ name: SESSION[0], value: SESSION[1], url: URL_ }]);
    page = await ctx.newPage();
    // the page's requests not answered yet (settle() waits for none; a download's request
    // ends in neither event: the set starts empty for each case)
    page.on('request', (r) => page.inflight.add(r));
    page.on('requestfinished', (r) => page.inflight.delete(r));
    page.on('requestfailed', (r) => page.inflight.delete(r));
    page.on('pageerror', (e) => page.errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.errors.push(m.text()); });
  }
  page.errors = [];
  page.inflight = new Set();
  page.poolKey = opts.fresh ? null : key;
  casePages.push(page);
  return page;
}
async function endPages(ok) {
  for (const page of casePages.splice(0)) {
    if (page.isClosed()) continue;
    try {
      if (!ok || !page.poolKey) throw new Error('not kept');
      await page.goto(URL_ + '/icon.svg');
      if (!pool.has(page.poolKey)) pool.set(page.poolKey, []);
      pool.get(page.poolKey).push(page);
    } catch {
      await page.context().close().catch(() => {});
    }
  }
}

let passed = 0, failed = 0;
function assert(cond, msg) { if (!cond) throw new Error('assertion failed: ' + msg); }
// LINKSNAP_E2E_ONLY=REGEX runs only the cases whose name matches (when working on one).
const only = process.env.LINKSNAP_E2E_ONLY ? new RegExp(process.env.LINKSNAP_E2E_ONLY) : null;
async function test(name, fn) {
  if (only && !only.test(name)) return;
  const t0 = Date.now();
  let ok = false;
  try {
    await fn();
    ok = true;
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
  await endPages(ok);
}
const ids = async (page) => page.$$eval('#links [data-link-id]', (els) => els.map((e) => Number(e.dataset.linkId)));
// page.waitForFunction evaluates strings inside the page, which the page's CSP forbids
// (no 'unsafe-eval', on purpose): poll with evaluate instead, which CDP runs outside it.
async function waitFor(page, fn, arg, timeout = 30000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > end) throw new Error('timed out waiting for ' + fn.toString().slice(0, 120));
    await new Promise((r) => setTimeout(r, 50));
  }
}
const waitReady = (page, n = 1) => waitFor(page, (k) => Number(document.body.dataset.linksReady || 0) >= k, n);
// to another address within the page, through its router as a click on one of its links
// does (a full load costs a second here); scrolled to the top as a click leaves it
const spaGo = (page, to) => page.evaluate((u) => { history.pushState(null, '', u); dispatchEvent(new PopStateEvent('popstate')); scrollTo(0, 0); }, to);
// the same to a links list, and its first page painted (the list counts its paints)
async function spaLinks(page, to) {
  const n = await page.evaluate(() => Number(document.body.dataset.linksReady || 0));
  await spaGo(page, to);
  await waitReady(page, n + 1);
}
// what a sleep after a page's load stood for: none of its requests (the calls its code
// made, their pictures) unanswered for 150 ms, every picture in sight decoded, then drawn
async function settle(page) {
  const end = Date.now() + 30000;
  for (let quiet = 0; quiet < 3;) {
    await new Promise((r) => setTimeout(r, 50));
    quiet = page.inflight.size === 0 ? quiet + 1 : 0;
    if (Date.now() > end) throw new Error('requests still unanswered: ' + [...page.inflight].map((r) => r.url()).join(' '));
  }
  await waitFor(page, () => [...document.images].every((i) => {
    const b = i.getBoundingClientRect();
    return !i.getAttribute('src') || i.complete || b.bottom < 0 || b.top > innerHeight;
  }));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

// ---- cases -------------------------------------------------------------------------------
await test('the login box says where the token is, and the token logs in (zh and en)', async () => {
  for (const [locale, want] of [['zh-CN', '令牌在运行 linksnapd 的机器上'], ['en-US', 'The token is on the machine']]) {
    // a context without the session cookie: the page asks for the token
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale });
    const page = await ctx.newPage();
    await page.goto(URL_ + '/links');
    await page.waitForSelector('dialog.login-dialog[open]');
    const hint = await page.textContent('dialog.login-dialog .login-where');
    assert(hint.startsWith(want) && hint.includes('linksnap web') && hint.includes('http.token'), 'the hint: ' + hint);
    assert(!hint.includes(TOKEN), 'the hint never shows the token');
    await page.fill('#token', 'wrong-' + TOKEN);
    await page.click('dialog.login-dialog button[type=submit]');
    await waitFor(page, () => document.querySelector('dialog.login-dialog p.error').textContent !== '');
    await page.fill('#token', TOKEN);
    await page.click('dialog.login-dialog button[type=submit]');
    await waitFor(page, () => !document.querySelector('dialog.login-dialog[open]'));
    await ctx.close();
  }
});

await test('add links through the form; duplicates say already saved', async () => {
  const page = await newPage();
  await page.goto(URL_ + '/');
  await page.fill('[name=url]', 'https://example.com/form-a\nhttps://example.org/form-b');
  await page.fill('[name=tags]', '数据库, reading');
  await page.click('form button[type=submit]');
  await page.waitForSelector('.results [data-link-id] >> nth=1');
  const a = (await rpc('link.get', { url: 'https://example.com/form-a' })).link;
  assert(a.tags.includes('数据库') && a.tags.includes('reading'), 'tags saved: ' + a.tags);
  await page.fill('[name=url]', 'https://EXAMPLE.com/form-a');
  await page.click('form button[type=submit]');
  await page.waitForSelector(`.results [data-link-id="${a.id}"] .note.dup`);
  assert(await page.isVisible(`.results [data-link-id="${a.id}"] .note.dup a[href="/links/${a.id}"]`), 'link to the saved one');
  await page.goto(URL_ + '/links');
  await waitReady(page);
  assert((await ids(page)).includes(a.id), 'the link is in the list');
  assert(page.errors.length === 0, page.errors.join('\n'));
});

await test('thumbnails appear for finished snapshots', async () => {
  const link = await addLink('https://example.com/with-thumb', ['thumb'], '有缩略图的页面');
  await fakeSnapshot(link.id);
  const page = await newPage();
  await page.goto(URL_ + '/links?all=thumb');
  await waitReady(page);
  const ok = await page.$eval(`[data-link-id="${link.id}"] img`, (img) => img.complete && img.naturalWidth === 320);
  assert(ok, 'thumbnail decoded');
});

await test('a dead link: the answer as its badge, the broken filter (zh 1280, en 390)', async () => {
  const gone = await addLink('https://example.com/dead-404', ['死链'], '已经不在的页面');
  const fine = await addLink('https://example.com/alive-200', ['死链'], '还在的页面');
  await fakeSnapshot(gone.id, 1280, 800, { status: 404 });
  await fakeSnapshot(fine.id, 1280, 800);
  const l = (await rpc('link.get', { id: gone.id })).link;
  assert(l.broken === true && l.http_status === 404, 'link object: ' + JSON.stringify([l.broken, l.http_status]));
  const page = await newPage();
  await page.goto(URL_ + '/links?all=死链&broken=1');
  await waitReady(page);
  assert(JSON.stringify(await ids(page)) === JSON.stringify([gone.id]), 'zh broken: ' + await ids(page));
  assert(await page.isChecked('#links-broken'), 'the box shows the filter');
  const zh = await page.$eval(`[data-link-id="${gone.id}"] .badge`, (b) => [b.textContent, b.className]);
  assert(zh[0] === '404 未找到' && zh[1].includes('st-http'), 'zh badge: ' + zh);
  const ph = await newPage({ viewport: { width: 390, height: 844 }, locale: 'en-US', mobile: true });
  await ph.goto(URL_ + '/links?all=死链');
  await waitReady(ph);
  assert((await ids(ph)).length === 2, 'both before the filter');
  const okBadge = await ph.$eval(`[data-link-id="${fine.id}"] .badge`, (b) => b.textContent);
  assert(okBadge === 'done', 'a 200 stays done: ' + okBadge);
  await ph.click('#links-broken');
  await waitFor(ph, (id) => [...document.querySelectorAll('#links [data-link-id]')].map((e) => Number(e.dataset.linkId)).join() === String(id), gone.id);
  assert(new URL(ph.url()).searchParams.get('broken') === '1', 'kept in the address');
  await ph.goto(URL_ + `/links/${gone.id}`);
  await ph.waitForSelector('table.history .badge');
  const en = await ph.$eval('table.history .badge', (b) => b.textContent);
  assert(en === '404 Not Found', 'en history badge: ' + en);
  await ph.screenshot({ path: path.join(shotDir, 'broken-390-en.png') });
  // a capture that failed says why in the page's language, from its reason's code, with
  // the daemon's sentence as the tooltip (as linksnapd writes it: timings.reasons)
  const nx = await addLink('https://gone.example/page', ['死链'], '域名没了');
  const sid = await fakeSnapshot(nx.id, 1280, 800);
  const en_text = 'navigate failed: net::ERR_NAME_NOT_RESOLVED (the name did not resolve)';
  const timings = JSON.stringify({ reasons: [{ code: 'dns_failed', params: { net_error: 'net::ERR_NAME_NOT_RESOLVED', host: 'gone.example' }, text: en_text }] });
  await storeSql("UPDATE snapshots SET state = 'failed', http_status = NULL, error = ?, timings = ? WHERE id = ?", [en_text, timings, sid]);
  assert((await rpc('snapshot.get', { id: sid })).snapshot.reasons[0].code === 'dns_failed', 'the wire carries the code');
  await page.goto(URL_ + `/links/${nx.id}`);
  await page.waitForSelector('table.history td.err li');
  const why = await page.$eval('table.history td.err li', (li) => [li.textContent, li.title, li.dataset.code]);
  assert(why[0] === '域名 gone.example 无法解析（net::ERR_NAME_NOT_RESOLVED）' && why[1] === en_text && why[2] === 'dns_failed', 'zh failure reason: ' + why);
  assert(page.errors.length === 0 && ph.errors.length === 0, page.errors.concat(ph.errors).join('\n'));
});

await test('filter by two tags (query string and clicking chips)', async () => {
  const mk = async (n, tags) => (await addLink(`https://example.net/f/${n}`, tags)).id;
  const both1 = await mk(1, ['红色', 'blue']);
  const both2 = await mk(2, ['红色', 'blue', 'x']);
  const onlyRed = await mk(3, ['红色']);
  const onlyBlue = await mk(4, ['blue']);
  const page = await newPage();
  await page.goto(URL_ + '/links?all=' + encodeURIComponent('红色') + ',blue');
  await waitReady(page);
  let got = await ids(page);
  assert(JSON.stringify(got) === JSON.stringify([both2, both1]), 'all-of filter from the URL: ' + got);
  await page.goto(URL_ + '/links');
  await waitReady(page);
  await page.click('.tag-bar button.chip[data-tag="红色"]');
  await waitFor(page, () => location.search.includes('all='));
  await waitReady(page, 2);
  await page.click('.tag-bar button.chip[data-tag="blue"]');
  await waitReady(page, 3);
  got = await ids(page);
  assert(JSON.stringify(got) === JSON.stringify([both2, both1]), 'clicked chips: ' + got);
  assert(decodeURIComponent(new URL(page.url()).search).includes('all=红色,blue'), 'filter in the query string: ' + page.url());
  // any of / none of
  await page.goto(URL_ + '/links?none=blue&all=' + encodeURIComponent('红色'));
  await waitReady(page);
  got = await ids(page);
  assert(JSON.stringify(got) === JSON.stringify([onlyRed]), 'none-of: ' + got);
  await page.goto(URL_ + '/links?any=blue');
  await waitReady(page);
  got = await ids(page);
  assert([both1, both2, onlyBlue].every((x) => got.includes(x)) && !got.includes(onlyRed), 'any-of: ' + got);
});

await test('rename a tag and every chip changes', async () => {
  for (let i = 0; i < 3; i++) await addLink(`https://example.net/rename/${i}`, ['旧名字', 'keep']);
  const page = await newPage();
  await page.goto(URL_ + '/links?all=keep');
  await waitReady(page);
  assert((await page.$$('#links .chip[data-tag="旧名字"]')).length === 3, 'three old chips');
  const tags = await newPage();
  await tags.goto(URL_ + '/tags');
  const row = tags.locator('tr[data-tag="旧名字"]');
  await row.locator('input.rename').fill('新名字');
  await row.locator('form.inline button').click();
  await tags.waitForSelector('tr[data-tag="新名字"]');
  // the open links page follows through the event socket
  await waitFor(page, () => document.querySelectorAll('#links .chip[data-tag="新名字"]').length === 3);
  assert((await page.$$('#links .chip[data-tag="旧名字"]')).length === 0, 'no old chip left');
});

await test('import a file and see the summary', async () => {
  const page = await newPage();
  await page.goto(URL_ + '/import');
  const text = 'https://example.com/imp/1\nhttps://example.com/imp/2\nftp://nope.example/\nhttps://example.com/imp/3\n';
  await page.setInputFiles('#i-file', { name: 'links.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
  await page.fill('#i-tags', '导入的');
  await page.click('form button[type=submit]');
  await page.waitForSelector('.summary:not([hidden]) dl.figures');
  const fig = await page.$$eval('.summary [data-figure]', (els) => Object.fromEntries(els.map((e) => [e.dataset.figure, e.querySelector('dd').textContent])));
  assert(fig.added === '3' && fig.invalid === '1', 'figures ' + JSON.stringify(fig));
  assert(await page.isVisible('.summary table.invalid td'), 'invalid line listed');
  const l = (await rpc('link.get', { url: 'https://example.com/imp/2' })).link;
  assert(l.tags.includes('导入的'), 'import tags');
});

await test('a hostile title shows as text and runs nothing', async () => {
  const evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  const link = await addLink('https://example.com/xss', ['<b>tag</b>'], evil);
  await rpc('link.update', { id: link.id, description: evil });
  const page = await newPage();
  await page.goto(URL_ + '/links?q=xss');
  await waitReady(page);
  const title = await page.textContent(`[data-link-id="${link.id}"] .title`);
  assert(title === evil, 'title as text: ' + title);
  assert(await page.isVisible(`[data-link-id="${link.id}"] .chip[data-tag="<b>tag</b>"]`), 'tag as text');
  await page.click(`[data-link-id="${link.id}"] .title`);
  await page.waitForSelector('.detail h2');
  assert((await page.textContent('.detail h2')) === evil, 'detail heading as text');
  assert(await page.evaluate(() => window.__xss === undefined && !document.querySelector('img[src="x"]')), 'nothing ran');
});

await test('Chinese text renders from a CJK font (no boxes)', async () => {
  await addLink('https://example.com/中文', ['中文标签'], '中文标题：链接快照');
  const page = await newPage();
  await page.goto(URL_ + '/links?all=' + encodeURIComponent('中文标签'));
  await waitReady(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
  for (const sel of ['header h1', '#links .title', '#links .chip']) {
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: sel });
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    const cjk = fonts.filter((f) => /CJK|Han Sans|WenQuanYi|Droid Sans Fallback|Noto Sans SC/i.test(f.familyName));
    assert(cjk.length && cjk.reduce((a, f) => a + f.glyphCount, 0) > 0, `${sel}: fonts ${JSON.stringify(fonts)}`);
  }
  await cdp.detach();
});

await test('link detail: tiles of a tall screenshot, history, edit', async () => {
  const link = await addLink('https://example.com/tall-page', ['tall'], '一个很长的页面');
  const sid = await fakeSnapshot(link.id, 1280, 9000);
  const page = await newPage();
  await page.goto(URL_ + `/links/${link.id}`);
  await page.waitForSelector('.shot img.tile');
  const tiles = await page.$$eval('.shot img.tile', (els) => els.map((e) => e.getAttribute('src') || e.dataset.src));
  assert(tiles.length === 9 && tiles[0] === `/snapshots/${sid}/tile/0.png`, 'tiles: ' + tiles.length);
  assert(await page.isVisible(`table.history tr[data-snapshot-id="${sid}"]`) || await page.isVisible('table.history'), 'history');
  await page.fill('#d-title', '改过的标题');
  await page.click('form.edit button[type=submit]');
  await waitFor(page, () => document.querySelector('.detail h2').textContent === '改过的标题');
  assert((await rpc('link.get', { id: link.id })).link.title === '改过的标题', 'saved');
});

await test('select many and tag them at once', async () => {
  const a = await addLink('https://example.net/bulk/1', ['bulk']);
  const b = await addLink('https://example.net/bulk/2', ['bulk']);
  const page = await newPage();
  await page.goto(URL_ + '/links?all=bulk');
  await waitReady(page);
  await page.check(`[data-link-id="${a.id}"] input.sel`);
  await page.check(`[data-link-id="${b.id}"] input.sel`);
  await page.fill('#sel-tag', '批量');
  await page.click('.selbar button:has-text("加标签")');
  await waitFor(page, () => document.querySelectorAll('#links .chip[data-tag="批量"]').length === 2);
});

await test('capture through the page once the capture engine is there', async () => {
  if (!(await hasMethod('snapshot.request'))) {
    console.log('     (snapshot.request not in this linksnapd yet: nothing captured)');
    return;
  }
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>本地测试页</title><body style="background:#3a7"><h1>本地测试页</h1></body>');
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${srv.address().port}/captured`;
    const page = await newPage();
    await page.goto(URL_ + '/');
    await page.fill('[name=url]', url);
    await page.click('form button[type=submit]');
    await page.waitForSelector('.results [data-link-id] img', { timeout: 120000 });
  } finally {
    srv.close();
  }
});

await test('addresses as people read them; one chip for one word', async () => {
  const idn = await addLink('https://例子.测试/路径', ['Ｄａｔａｂａｓｅ']);
  const homo = await addLink('https://p\u0430ypal.com/login', ['database']);   // Cyrillic а
  const page = await newPage();
  await page.goto(URL_ + '/links?q=' + encodeURIComponent('路径'));
  await waitReady(page);
  let got = await ids(page);
  assert(JSON.stringify(got) === JSON.stringify([idn.id]), 'search box finds the Unicode path: ' + got);
  const host = await page.textContent(`[data-link-id="${idn.id}"] .host`);
  assert(host === '例子.测试', 'card host as people read it: ' + host);
  await page.goto(URL_ + '/links?all=DATABASE');
  await waitReady(page);
  got = await ids(page);
  assert(got.includes(idn.id) && got.includes(homo.id), 'one tag by any spelling: ' + got);
  const homoHost = await page.textContent(`[data-link-id="${homo.id}"] .host`);
  assert(homoHost === 'xn--pypal-4ve.com', 'a homograph stays punycode: ' + homoHost);
  // clicking the chip of the same tag replaces the filter's spelling instead of adding it
  await page.click(`[data-link-id="${idn.id}"] .chip[data-tag="Ｄａｔａｂａｓｅ"]`);
  await waitFor(page, () => decodeURIComponent(location.search).includes('Ｄａｔａｂａｓｅ'));
  const search = decodeURIComponent(new URL(page.url()).search);
  assert(!search.includes('DATABASE'), 'one chip for one tag: ' + search);
  await page.goto(URL_ + `/links/${idn.id}`);
  await page.waitForSelector('.detail p.url');
  const shown = await page.textContent('.detail p.url');
  assert(shown === 'https://例子.测试/路径', 'detail page URL: ' + shown);
  assert(page.errors.length === 0, page.errors.join('\n'));
});

await test('search a page\'s words: snippets, reader view, downloads (zh and en, 1280 and 390 px)', async () => {
  const evil = '<img src=x onerror="window.__xss=3">';
  const en = await addLink('https://example.org/harbour', ['reader'], 'Harbour notes');
  const enSid = await fakeSnapshot(en.id, 1280, 1500, {
    title: 'A Quiet Harbour',
    text: { title: 'A Quiet Harbour', byline: 'By Ada Lovelace', lang: 'en', cut: false, text: 'Menu\nThe keeper counted seventeen lighthouses.',
      blocks: [{ kind: 'h1', text: 'A Quiet Harbour' }, { kind: 'p', text: 'The keeper counted seventeen lighthouses along the northern coast before dawn.' },
        { kind: 'h2', text: 'Ships' }, { kind: 'li', text: 'The first ship' }, { kind: 'li', text: 'The second ship' },
        { kind: 'quote', text: 'Every light is a promise.' }, { kind: 'pre', text: 'const lights = 17;' }, { kind: 'p', text: evil }] },
    mhtml: 'From: <Saved by Blink>\r\nContent-Type: multipart/related;\r\n\r\n', pdf: '%PDF-1.4\n%%EOF\n',
  });
  const zh = await addLink('https://example.org/ml', ['reader'], '机器学习笔记');
  const zhSid = await fakeSnapshot(zh.id, 1280, 1500, {
    title: '神经网络的历史',
    text: { title: '神经网络的历史', byline: null, lang: 'zh-CN', cut: true, text: '首页\n神经网络的研究始于二十世纪四十年代。',
      blocks: [{ kind: 'h1', text: '神经网络的历史' }, { kind: 'p', text: '神经网络的研究始于二十世纪四十年代，' + '人们用简单的模型理解大脑。'.repeat(8) },
        { kind: 'h2', text: '反向传播' }, { kind: 'p', text: '一九八六年，反向传播算法让多层网络可以训练。' }] },
  });
  const bareSid = await fakeSnapshot((await addLink('https://example.org/bare', ['reader'])).id, 800, 600);
  await rpc('search.reindex');
  for (let i = 0; ; i++) {   // the rebuild runs in chunks after the reply
    const got = (await rpc('link.list', { q: 'seventeen' })).links.map((l) => l.id);
    if (got.includes(en.id) && (await rpc('link.list', { q: '网络' })).links.some((l) => l.id === zh.id)) break;
    if (i > 300) throw new Error('search.reindex did not index the fixtures');
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const [locale, back] of [['zh-CN', '返回链接'], ['en-US', 'Back to the link']]) {
    for (const width of [1280, 390]) {
      const page = await newPage({ locale, viewport: { width, height: 860 }, mobile: width < 500 });
      const where = `${locale} at ${width} px`;
      const foreign = [];
      const beyond = (r) => { if (!r.url().startsWith(URL_)) foreign.push(r.url()); };
      page.on('request', beyond);
      // within the page (its router, as a link click does): a full load costs a second here
      const spaGo = (to) => page.evaluate((u) => { history.pushState(null, '', u); dispatchEvent(new PopStateEvent('popstate')); }, to);
      const noOverflow = async (what) => {
        const sw = await page.evaluate(() => document.documentElement.scrollWidth);
        if (width === 390) assert(sw <= 390, `${where}: ${what} is ${sw} px wide`);
      };
      // the search box: a word of the body (not in the title or address), its hit in <mark>;
      // each page's word in each language once, the widths in turn (a search costs a second)
      const words = [['seventeen', en.id, 'seventeen'], ['网络', zh.id, '网络']];
      for (const [q, id, hit] of [words[(locale === 'zh-CN') === (width === 1280) ? 0 : 1]]) {
        await page.goto(URL_ + '/links?q=' + encodeURIComponent(q));
        await waitReady(page);
        assert((await ids(page)).includes(id), `${where}: ${q} finds ${id}: ${await ids(page)}`);
        const marks = await page.$$eval(`[data-link-id="${id}"] .snippet mark`, (els) => els.map((e) => e.textContent));
        assert(marks.length && marks.every((m) => m.toLowerCase() === hit), `${where}: marks for ${q}: ${JSON.stringify(marks)}`);
        await noOverflow('the links page with snippets');
      }
      // the detail page: each kept format a download with its size, the reader view linked
      await spaGo(`/links/${en.id}`);
      await page.waitForSelector('.downloads li[data-format="text"]');
      const dl = await page.$$eval('.downloads li', (els) => els.map((e) => [e.dataset.format, e.querySelector('a').getAttribute('href'), e.textContent]));
      assert(JSON.stringify(dl.map((d) => d[0])) === '["png","mhtml","pdf","text"]', `${where}: downloads ${JSON.stringify(dl)}`);
      assert(dl[0][1] === `/snapshots/${enSid}/full.png?download=1` && /\d+(\.\d)? (B|KB|MB)/.test(dl[1][2]), `${where}: ${JSON.stringify(dl)}`);
      if (width === 1280 && locale === 'zh-CN') {
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('.downloads li[data-format="mhtml"] a')]);
        assert(/\.mhtml$/.test(download.suggestedFilename()), 'MHTML saved as a file: ' + download.suggestedFilename());
        const [txt] = await Promise.all([page.waitForEvent('download'), page.click('.downloads li[data-format="text"] a')]);
        const saved = fs.readFileSync(await txt.path(), 'utf8');
        assert(saved.startsWith('A Quiet Harbour\nBy Ada Lovelace\n') && saved.includes('- The first ship'), 'text download: ' + saved.slice(0, 200));
      }
      await page.click('a.reader-link');
      // the reader view: title, byline, the blocks as text, lang and dir, nothing run
      await page.waitForSelector('article.reader');
      assert(new URL(page.url()).pathname === `/read/${enSid}`, 'reader route: ' + page.url());
      const r = await page.evaluate(() => {
        const a = document.querySelector('article.reader');
        return { lang: a.getAttribute('lang'), dir: a.getAttribute('dir'), title: a.querySelector('.reader-title').textContent,
          byline: a.querySelector('.byline').textContent, h2: [...a.querySelectorAll('h2')].map((e) => e.textContent),
          ps: [...a.querySelectorAll('p:not(.byline)')].map((e) => e.textContent), lis: [...a.querySelectorAll('ul > li')].map((e) => e.textContent),
          quote: a.querySelector('blockquote')?.textContent, pre: a.querySelector('pre')?.textContent, h1s: a.querySelectorAll('h1').length,
          dirs: [...a.querySelectorAll('h1, h2, p, ul, li, blockquote, pre')].every((e) => e.getAttribute('dir') === 'auto'),
          imgs: document.querySelectorAll('main img').length, xss: window.__xss, back: document.querySelector('.reader-tools a').textContent,
          shot: document.querySelector(`.reader-tools a[href$="/full.png"]`) !== null };
      });
      assert(r.lang === 'en' && r.dir === 'auto' && r.dirs, `${where}: lang/dir ${JSON.stringify(r)}`);
      assert(r.title === 'A Quiet Harbour' && r.h1s === 1 && r.byline === 'By Ada Lovelace', `${where}: head ${JSON.stringify(r)}`);
      assert(JSON.stringify(r.h2) === '["Ships"]' && JSON.stringify(r.lis) === '["The first ship","The second ship"]', `${where}: ${JSON.stringify(r)}`);
      assert(r.ps[0].startsWith('The keeper counted seventeen') && r.ps[r.ps.length - 1] === evil, `${where}: paragraphs ${JSON.stringify(r.ps)}`);
      assert(r.quote === 'Every light is a promise.' && r.pre === 'const lights = 17;', `${where}: ${JSON.stringify(r)}`);
      assert(r.imgs === 0 && r.xss === undefined, `${where}: something of the page ran or loaded: ${JSON.stringify(r)}`);
      assert(r.back.includes(back) && r.shot, `${where}: tools in the UI's language: ${r.back}`);
      await noOverflow('the reader view');
      // the Chinese page: its lang, its cut said
      await spaGo(`/read/${zhSid}`);
      await page.waitForSelector(`article.reader[data-snapshot-id="${zhSid}"]`);
      const z = await page.evaluate(() => ({ lang: document.querySelector('article.reader').getAttribute('lang'),
        text: document.querySelector('article.reader').textContent, cut: !!document.querySelector('.reader-cut'),
        measure: document.querySelector('article.reader').getBoundingClientRect().width }));
      assert(z.lang === 'zh-CN' && z.text.includes('反向传播算法') && z.cut, `${where}: zh reader ${JSON.stringify(z)}`);
      assert(z.measure <= 42 * 16 + 1, `${where}: the measure is ${z.measure} px`);
      await noOverflow('the Chinese reader view');
      if (width === 390) await page.screenshot({ path: path.join(shotDir, `web-reader-${locale}-phone.png`) });
      if (width === 390 && locale === 'zh-CN') {   // a snapshot without text: the reader view says so
        await spaGo(`/read/${bareSid}`);
        await page.waitForSelector('main p.error');
        assert((await page.textContent('main p.error')) === '这个快照没有保存文字', 'no text: ' + await page.textContent('main p.error'));
      }
      assert(foreign.length === 0, `${where}: requests beyond linksnapd: ${foreign}`);
      page.off('request', beyond);
      assert(page.errors.length === 0, page.errors.join('\n'));
    }
  }
});

// Issue 20's changes view: one link captured twice by the real Chromium from a page served
// here whose article gains a paragraph in between; the view lists the change, its diff
// opens (slider, overlay, text), in both languages at both widths.
await test('changes view: a changed capture, its diff, slider and overlay (zh and en, 1280 and 390 px)', async () => {
  const paras = ['北方海岸每天有两次涨潮，港口的渔民按照潮水安排一周的工作。', '每年春天，月亮把海水推得比其他时候更高，一八八七年修建的老海堤要经受考验。',
    '工程师去年秋天检查了海堤，发现灰浆完好，但最下面一层石头一百年来磨损了将近四厘米。', '镇议会下个月决定是用石头修补海堤，还是在更远的海里建一道混凝土屏障。',
    '渔民说新的屏障会改变港口入口的水流，让船只在低潮时使用的航道淤塞。'];
  const inserted = '最新消息：议会刚刚公布了两种方案的费用，石头修补现在便宜得多。';
  let version = 1;
  const srv = http.createServer((req, res) => {
    const ps = version >= 2 ? [paras[0], inserted, ...paras.slice(1)] : paras;
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>北方海岸的潮汐</title>' +
      '<style>body{margin:40px auto;max-width:700px;font:18px/1.6 sans-serif}</style><article><h1>北方海岸的潮汐</h1>' +
      ps.map((p) => `<p>${p}</p>`).join('') + '</article>');
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${srv.address().port}/tides`;
  const finished = async (linkId, n) => {   // the link's newest capture once n are finished and the last compared
    for (let i = 0; i < 1200; i++) {
      const { snapshots } = await rpc('snapshot.list', { link_id: linkId });
      const done = snapshots.filter((x) => ['ok', 'partial', 'failed', 'blocked'].includes(x.state));
      if (done.length >= n && (n < 2 || done[0].change || !['ok', 'partial'].includes(done[0].state))) return done[0];
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`link ${linkId}: ${n} captures did not finish`);
  };
  let link, from, to;
  const t0 = Date.now();
  try {
    link = (await rpc('link.add', { url, tags: ['潮汐'], title: '北方海岸的潮汐', capture: true })).link;
    from = await finished(link.id, 1);
    version = 2;
    await rpc('snapshot.request', { link_id: link.id });
    to = await finished(link.id, 2);
  } finally {
    srv.close();
  }
  console.log(`     two captures and their comparison: ${Date.now() - t0} ms`);
  assert(to.change && to.change.changed && to.change.against === from.id, 'the second capture changed: ' + JSON.stringify(to.change));
  const { changes } = await rpc('snapshot.changes', { limit: 5 });
  assert(changes[0].snapshot.id === to.id && changes[0].link.id === link.id && changes[0].link.url === url, 'snapshot.changes: ' + JSON.stringify(changes[0]));
  assert(!changes.some((c) => c.snapshot.id === from.id), 'the first capture (compared with nothing) is not a change');
  const older = await rpc('snapshot.changes', { before: to.id });
  assert(!older.changes.some((c) => c.snapshot.id >= to.id), 'before pages back: ' + JSON.stringify(older.changes.map((c) => c.snapshot.id)));
  await rpc('watch.set', { link_id: link.id, every: '1d' });
  // the overlay's address: made on the first request (through snapshot.diff), a PNG for a
  // logged-in browser only, a clear 404 for snapshots that do not exist
  const img = `/diff/${from.id}/${to.id}.png`;
  const cookie = { headers: { Cookie: SESSION.join('=') } };
  let res = await fetch(URL_ + img, cookie);
  assert(res.status === 200 && res.headers.get('content-type') === 'image/png', `overlay: ${res.status} ${res.headers.get('content-type')}`);
  const png = Buffer.from(await res.arrayBuffer());
  assert(png.subarray(1, 4).toString() === 'PNG' && png.readUInt32BE(16) === to.width, 'the overlay is a PNG as wide as the capture');
  assert((await fetch(URL_ + img)).status === 401, 'the overlay without logging in');
  res = await fetch(URL_ + `/diff/${to.id + 1000}/${to.id}.png`, cookie);
  assert(res.status === 404, 'an unknown snapshot: ' + res.status);
  const other = await fakeSnapshot((await addLink('https://example.org/other-link', ['潮汐'])).id, 1280, 800);
  res = await fetch(URL_ + `/diff/${other}/${to.id}.png`, cookie);
  assert(res.status === 400 && /different links/.test((await res.json()).error.message), 'two links: ' + res.status);

  for (const [locale, word] of [['zh-CN', '新变化'], ['en-US', 'Changes']]) {
    const page = await newPage({ locale, viewport: { width: 1280, height: 800 } });   // one browser context a language
    for (const width of [1280, 390]) {
      const where = `${locale} at ${width} px`;
      await page.setViewportSize({ width, height: width < 500 ? 844 : 800 });
      const noOverflow = async (what) => {
        const sw = await page.evaluate(() => document.documentElement.scrollWidth);
        assert(sw <= width, `${where}: ${what} is ${sw} px wide`);
      };
      // every word of the view in Chinese: what is left after the page's own words (title,
      // address, text lists, the command) has no Latin letters
      const english = () => page.evaluate(() => {
        const m = document.querySelector('main').cloneNode(true);
        m.querySelectorAll('.url, code, .title, .text-diff li').forEach((e) => e.remove());
        return (m.innerText.match(/[A-Za-z]{2,}/g) || []).join(' ');
      });
      await page.goto(URL_ + '/changes');
      await page.waitForSelector(`li.change[data-snapshot-id="${to.id}"]`);
      await page.waitForSelector(`table.watches tr[data-watch-id]`);
      assert((await page.textContent('nav a[aria-current="page"]')) === word, `${where}: nav`);
      const row = await page.textContent(`li.change[data-snapshot-id="${to.id}"]`);
      assert(row.includes('北方海岸的潮汐') && /%/.test(row), `${where}: the entry: ${row}`);
      const w = await page.$$eval('table.watches tbody td', (tds) => tds.map((td) => td.textContent));
      assert(w[0] === '北方海岸的潮汐' && w[1] === (locale === 'zh-CN' ? '1 天' : '1 d') && w[3] !== '–', `${where}: watch row ${JSON.stringify(w)}`);
      let latin = locale === 'zh-CN' ? await english() : '';
      assert(latin === '', `${where}: English in the changes view: ${latin}`);
      await noOverflow('the changes view');
      await page.screenshot({ path: path.join(shotDir, `changes-${locale}-${width}.png`) });
      await page.click(`li.change[data-snapshot-id="${to.id}"] a.open-diff`);
      await page.waitForSelector('.diff[data-ready="1"]');
      assert(new URL(page.url()).pathname === `/changes/${from.id}/${to.id}`, `${where}: diff route ${page.url()}`);
      await waitFor(page, () => [...document.querySelectorAll('.compare img')].every((i) => i.complete && i.naturalWidth > 0));
      const added = await page.$$eval('.text-diff.added li', (els) => els.map((e) => e.textContent));
      assert(added.includes('最新消息：议会刚刚公布了两种方案的费用，石头修补现在便宜得多。'), `${where}: text added ${JSON.stringify(added)}`);
      // the slider from the keyboard: End shows all of the new capture, Home all of the old
      const clip = () => page.$eval('.compare img.new', (i) => getComputedStyle(i).clipPath);
      const mid = await clip();
      await page.focus('#diff-pos');
      await page.keyboard.press('End');
      const end = await clip();
      await page.keyboard.press('Home');
      const home = await clip();
      assert(mid !== end && end !== home && /inset\(0(px)? 0(px)?/.test(end) && /100%/.test(home), `${where}: slider clips ${mid} | ${end} | ${home}`);
      await page.keyboard.press('ArrowRight');
      assert((await page.inputValue('#diff-pos')) === '1', `${where}: arrow key`);
      latin = locale === 'zh-CN' ? await english() : '';
      assert(latin === '', `${where}: English in the diff view: ${latin}`);
      await noOverflow('the diff view');
      await page.screenshot({ path: path.join(shotDir, `changes-diff-${locale}-${width}.png`) });
      // the overlay picture in the page
      await page.click('fieldset.diff-mode input[value="overlay"]');
      await waitFor(page, () => { const i = document.querySelector('img.overlay'); return i && i.complete && i.naturalWidth > 0; });
      await noOverflow('the overlay');
      // the link's history: the change figure and "compare with previous"
      if (width === 390) {
        await page.click('.diff .actions a[href^="/links/"]');
        await page.waitForSelector(`table.history tr[data-snapshot-id="${to.id}"] a.compare`);
        const cmp = await page.getAttribute(`table.history tr[data-snapshot-id="${to.id}"] a.compare`, 'href');
        const fig = await page.textContent(`table.history tr[data-snapshot-id="${to.id}"] .change-figure`);
        assert(cmp === `/changes/${from.id}/${to.id}` && /%/.test(fig), `${where}: history ${cmp} ${fig}`);
        assert(await page.$(`table.history tr[data-snapshot-id="${from.id}"] a.compare`) === null, 'the first capture compares with nothing');
        await page.click(`table.history tr[data-snapshot-id="${to.id}"] a.compare`);
        await page.waitForSelector('.diff[data-ready="1"]');
      }
    }
    assert(page.errors.length === 0, page.errors.join('\n'));
  }
});

// Every chart's smallest text as it appears on screen (its font-size times the scale of
// the SVG's user units to CSS px), with what each chart was drawn for.
async function chartTexts(page) {
  return page.$$eval('figure.chart', (figs) => figs.map((f) => {
    const svg = f.querySelector('.chart-box svg');
    if (!svg) return { kind: f.dataset.kind, missing: true };
    let min = Infinity;
    const texts = [...svg.querySelectorAll('text')];
    for (const el of texts) {
      const m = el.getScreenCTM();
      const px = parseFloat(getComputedStyle(el).fontSize) * Math.hypot(m.a, m.b);
      if (px < min) min = px;
    }
    return { kind: f.dataset.kind, min, texts: texts.length, width: Number(svg.getAttribute('width')),
      box: f.querySelector('.chart-box').clientWidth, hints: svg.querySelectorAll('path > title').length,
      rows: f.querySelectorAll('.chart-table tbody tr').length, title: svg.querySelector('title')?.textContent,
      heads: [...f.querySelectorAll('.chart-table thead th')].map((th) => th.textContent),
      cells: [...f.querySelectorAll('.chart-table tbody tr')].map((tr) => tr.children.length),
      innerHTMLFree: !svg.querySelector('script, foreignObject') };
  }));
}

await test('stats charts: drawn for their own size and language, no text below 11 CSS px', async () => {
  // some data: links over tags, and finished snapshots, so every chart has bars
  for (let i = 0; i < 5; i++) {
    const l = await addLink(`https://example.com/stats/${i}`, ['统计', i % 2 ? 'charts' : 'reading']);
    if (i < 2) await fakeSnapshot(l.id, 1280, 1000);
  }
  for (const [locale, word] of [['zh-CN', '每日新增链接'], ['en-US', 'Links added per day']]) {
    for (const width of [1280, 390]) {
      const page = await newPage({ locale, viewport: { width, height: 900 }, mobile: width < 500 });
      await page.goto(URL_ + '/stats');
      await waitFor(page, () => document.querySelectorAll('figure.chart .chart-box svg').length === 3);
      const charts = await chartTexts(page);
      assert(charts.length === 3, 'three charts: ' + JSON.stringify(charts));
      for (const c of charts) {
        assert(!c.missing && c.texts > 3, `${c.kind} has text: ${JSON.stringify(c)}`);
        assert(c.min >= 11 - 1e-9, `${locale} at ${width} px: ${c.kind}'s smallest text is ${c.min.toFixed(2)} CSS px`);
        assert(Math.abs(c.width - c.box) <= 1, `${c.kind} drawn for its box: ${c.width} vs ${c.box}`);
        assert(c.hints > 0 && c.rows > 0, `${c.kind}: exact numbers on hover and in the table: ${JSON.stringify(c)}`);
        assert(c.innerHTMLFree, 'nothing executable in the SVG');
        // the table's columns follow the reply's table_version: outcomes has http_error (v2)
        assert(c.cells.every((n) => n === c.heads.length), `${c.kind}: every row as wide as the head: ${JSON.stringify(c.heads)}`);
        if (c.kind === 'outcomes') {
          assert(c.heads.length === 6 && c.heads[5] === (locale === 'zh-CN' ? 'HTTP 错误' : 'http error'),
            `${locale}: outcomes columns ${JSON.stringify(c.heads)}`);
        }
      }
      assert(charts.some((c) => c.title === word), `${locale}: titles in the page's language: ${charts.map((c) => c.title)}`);
      // the queue's panel lists the browser endpoints (daemon.status browser.endpoints)
      await waitFor(page, () => document.querySelector('.fleet table.endpoints tbody tr'));
      const fleet = await page.$$eval('.fleet table.endpoints tbody tr', (rows) => rows.map((r) =>
        ({ name: r.dataset.endpoint, cells: [...r.cells].map((c) => c.textContent) })));
      assert(fleet.length === 1 && fleet[0].name === 'managed', 'one endpoint, the managed browser: ' + JSON.stringify(fleet));
      assert(!fleet[0].cells[1].startsWith('ep_st_') && fleet[0].cells[1] !== '',
        `${locale}: its state in words: ${JSON.stringify(fleet[0].cells)}`);
      assert(/^\d+\/\d+$/.test(fleet[0].cells[2]), 'running/slots: ' + fleet[0].cells[2]);
      console.log(`     ${locale} ${width} px: smallest text ${charts.map((c) => `${c.kind} ${c.min.toFixed(1)}`).join(', ')} CSS px`);
      if (width === 1280) {
        // Narrowing the window draws the charts again for their new size.
        const before = await page.$$eval('figure.chart', (f) => f.map((x) => x.dataset.drawn));
        await page.setViewportSize({ width: 700, height: 900 });
        await waitFor(page, (b) => [...document.querySelectorAll('figure.chart')].every((x, i) => x.dataset.drawn && x.dataset.drawn !== b[i]), before);
        for (const c of await chartTexts(page)) {
          assert(c.min >= 11 && Math.abs(c.width - c.box) <= 1, `after the resize: ${JSON.stringify(c)}`);
        }
      }
      assert(page.errors.length === 0, page.errors.join('\n'));
    }
  }
});

await test('charts: drawn in the page theme, redrawn on events, a rename shown at once', async () => {
  const page = await newPage({ dark: true, locale: 'en-US', viewport: { width: 1280, height: 900 } });
  await page.goto(URL_ + '/tags');
  await waitFor(page, () => document.querySelector('figure.chart .chart-box svg'));
  const look = () => page.$eval('figure.chart', (f) => ({ theme: f.dataset.theme, renders: Number(f.dataset.renders),
    bg: f.querySelector('.chart-box svg rect')?.getAttribute('fill'), text: f.querySelector('.chart-box svg').textContent }));
  let c = await look();
  assert(c.theme === 'dark' && c.bg === '#111418', 'dark page, dark chart: ' + JSON.stringify(c).slice(0, 200));
  // the manual switch's attribute wins over the system's preference
  await page.evaluate(() => { document.documentElement.dataset.theme = 'light'; });
  await waitFor(page, () => document.querySelector('figure.chart').dataset.theme === 'light');
  c = await look();
  assert(c.bg === '#ffffff', 'light switch, light chart: ' + c.bg);
  // a new link's tag appears without a reload; a rename replaces the old name
  // (eight links: among the top 20 tags whatever the cases before added)
  for (let i = 0; i < 8; i++) await addLink(`https://example.com/charts/live/${i}`, ['chartlive']);
  await waitFor(page, () => document.querySelector('figure.chart .chart-box svg').textContent.includes('chartlive'));
  await rpc('tag.rename', { from: 'chartlive', to: 'chartrenamed' });
  await waitFor(page, () => document.querySelector('figure.chart .chart-box svg').textContent.includes('chartrenamed'));
  c = await look();
  assert(!c.text.includes('chartlive'), 'the old name is gone from the chart');
  assert(page.errors.length === 0, page.errors.join('\n'));
});

await test('sites page: add a rule with a cookie and a header, see names only, delete it', async () => {
  const page = await newPage({});
  await page.goto(URL_ + '/sites');
  await page.waitForSelector('#s-match');
  await page.fill('#s-match', 'Members.Example');
  await page.fill('#s-cookies', 'session=e2e-secret-cookie');
  await page.fill('#s-headers', 'Authorization: Bearer e2e-secret-header');
  await page.fill('#s-wait', '#account');
  await page.uncheck('#s-scroll');
  await page.click('.site-form button[type=submit]');
  await page.waitForSelector('tr[data-match="members.example"]');
  const row = await page.textContent('tr[data-match="members.example"]');
  assert(row.includes('session') && row.includes('Authorization') && row.includes('#account'), 'row: ' + row);
  const all = await page.textContent('body');
  assert(!all.includes('e2e-secret'), 'a secret value is on the page');
  const rule = (await rpc('site.match', { url: 'https://members.example/x' })).rule;
  assert(rule && rule.scroll === false && rule.cookies[0].value === '********', JSON.stringify(rule));
  page.once('dialog', (d) => d.accept());
  await page.click('tr[data-match="members.example"] button.danger');
  await page.waitForSelector('tr[data-match="members.example"]', { state: 'detached' });
  assert((await rpc('site.list')).rules.length === 0, 'the rule was not deleted');
  assert(page.errors.length === 0, page.errors.join('\n'));
});

// ---- #23: site-rule edit, totals and "all N", bookmarklet, shortcuts, theme (webday23) ----
const DESKTOP = { width: 1280, height: 800 }, PHONE = { width: 390, height: 844 };
// the rule as stored (values unmasked), read from the database file by the test itself
async function storedRule(match) {
  const rows = await storeSql('SELECT rule FROM site_rules WHERE match = ?', [match]);
  return rows.length ? rows[0][0] : '';
}

await test('site rule edit: prefilled, secrets read unchanged and survive (zh 1280, en 390)', async () => {
  await rpc('site.set', { match: 'edit.example', cookies: [{ name: 'sid', value: 'e2e-sid-1', secure: true }],
    headers: { 'X-Token': 'e2e-hdr-1' }, wait_for: '#main', hide: ['.ad'], delay_ms: 100 });
  const page = await newPage({ viewport: DESKTOP });
  await page.goto(URL_ + '/sites');
  await page.click('tr[data-match="edit.example"] button.edit');
  const f = await page.evaluate(() => ({ match: document.getElementById('s-match').value, ro: document.getElementById('s-match').readOnly,
    wait: document.getElementById('s-wait').value, hide: document.getElementById('s-hide').value, delay: document.getElementById('s-delay').value,
    secrets: [...document.querySelectorAll('.secret-row input.secret')].map((i) => [i.value, i.placeholder]) }));
  assert(f.match === 'edit.example' && f.ro && f.wait === '#main' && f.hide === '.ad' && f.delay === '100', 'prefilled: ' + JSON.stringify(f));
  assert(f.secrets.length === 2 && f.secrets.every(([v, ph]) => v === '' && ph.startsWith('不变')), 'secrets unchanged: ' + JSON.stringify(f.secrets));
  assert(!(await page.textContent('body')).includes('e2e-'), 'a secret value is on the page');
  await page.fill('#s-delay', '250');
  await page.click('.site-form button[type=submit]');
  await waitFor(page, () => document.querySelector('tr[data-match="edit.example"]')?.textContent.includes('delay=250ms'));
  const r = (await rpc('site.list')).rules.find((x) => x.match === 'edit.example');
  assert(r.delay_ms === 250 && r.wait_for === '#main' && JSON.stringify(r.hide) === '[".ad"]', 'settings: ' + JSON.stringify(r));
  assert(r.cookies.length === 1 && r.cookies[0].name === 'sid' && r.cookies[0].secure === true && 'X-Token' in r.headers, 'secrets kept: ' + JSON.stringify(r));
  let stored = await storedRule('edit.example');
  assert(stored.includes('e2e-sid-1') && stored.includes('e2e-hdr-1'), 'stored values: ' + stored);
  // a phone in English: a new header value typed, the cookie removed, wait_for cleared
  const ph = await newPage({ viewport: PHONE, locale: 'en-US', mobile: true });
  await ph.goto(URL_ + '/sites');
  await ph.click('tr[data-match="edit.example"] button.edit');
  const rows = ph.locator('.secret-row');
  assert((await rows.nth(0).locator('input.secret').getAttribute('placeholder')).startsWith('unchanged'), 'en placeholder');
  await rows.filter({ hasText: 'X-Token' }).locator('input.secret').fill('e2e-hdr-2');
  await rows.filter({ hasText: 'sid' }).locator('input.drop').check();
  await ph.fill('#s-wait', '');
  const sw = await ph.evaluate(() => document.documentElement.scrollWidth);
  assert(sw <= 390, 'the edit form fits the phone: ' + sw);
  await ph.click('.site-form button[type=submit]');
  await waitFor(ph, () => !document.querySelector('tr[data-match="edit.example"]')?.textContent.includes('wait_for'));
  const r2 = (await rpc('site.list')).rules.find((x) => x.match === 'edit.example');
  assert(!r2.cookies?.length && r2.wait_for == null && r2.delay_ms === 250 && 'X-Token' in r2.headers, 'second edit: ' + JSON.stringify(r2));
  stored = await storedRule('edit.example');
  assert(stored.includes('e2e-hdr-2') && !stored.includes('e2e-hdr-1') && !stored.includes('e2e-sid-1'), 'stored after: ' + stored);
  await rpc('site.delete', { match: 'edit.example' });
  assert(page.errors.length === 0 && ph.errors.length === 0, page.errors.concat(ph.errors).join('\n'));
});

await test('the total is link.count; select all, then tag and re-capture all N that match (zh 1280)', async () => {
  // 50 links, more than a page (48); loopback addresses with nothing listening (port 9)
  for (let i = 0; i < 50; i++) await addLink(`http://127.0.0.1:9/alln/${i}`, ['全部N']);
  const want = (await rpc('link.count', { tags_all: ['全部N'] })).count;
  assert(want === 50, 'link.count: ' + want);
  const page = await newPage({ viewport: DESKTOP });
  await page.goto(URL_ + '/links?all=' + encodeURIComponent('全部N'));
  await waitReady(page);
  await waitFor(page, () => document.getElementById('links-total').dataset.count === '50');
  assert((await page.textContent('#links-total')) === '共 50 个链接', 'total text: ' + await page.textContent('#links-total'));
  const everything = (await rpc('link.count', {})).count;
  await page.goto(URL_ + '/links');
  await waitReady(page);
  await waitFor(page, (n) => document.getElementById('links-total').dataset.count === String(n), everything);
  await page.goto(URL_ + '/links?all=' + encodeURIComponent('全部N'));
  await waitReady(page);
  await page.check('#links-selall');
  const shown = (await ids(page)).length;
  assert(shown === 48, 'one page shown: ' + shown);
  assert(await page.$$eval('#links .card .sel', (b) => b.every((x) => x.checked)), 'every shown card checked');
  assert((await page.textContent('.selbar .sel-count')) === '已选 48 条', await page.textContent('.selbar .sel-count'));
  await page.click('#sel-all-matching');
  await waitFor(page, () => document.querySelector('.selbar').dataset.all === '50');
  assert((await page.textContent('.selbar .sel-count')).includes('50'), 'label says all 50');
  await page.fill('#sel-tag', '批量全部');
  await page.click('.selbar button:has-text("加标签")');
  await waitFor(page, () => document.getElementById('toast')?.textContent === '已处理 50 条');
  assert((await rpc('link.count', { tags_all: ['批量全部'] })).count === 50, 'tag.apply tagged all 50');
  // re-capture all 50: one snapshot.request with the filter
  await waitReady(page, 2);
  await page.check('#links-selall');
  await page.click('#sel-all-matching');
  await page.evaluate(() => { document.getElementById('toast').textContent = ''; });
  await page.click('.selbar button:has-text("重新快照")');
  await waitFor(page, () => document.getElementById('toast').textContent === '已处理 50 条');
  const jobs = [];
  for (let before = 0; ;) {
    const r = await rpc('job.list', before ? { limit: 1000, before } : { limit: 1000 });
    jobs.push(...r.jobs);
    if (!r.next_before) break;
    before = r.next_before;
  }
  const mine = jobs.filter((j) => j.url.startsWith('http://127.0.0.1:9/alln/'));
  assert(new Set(mine.map((j) => j.link_id)).size === 50, 'a job for each of the 50: ' + mine.length);
  for (const j of mine) if (j.state === 'queued' || j.state === 'running') await rpc('job.cancel', { id: j.id }).catch(() => {});
  assert(page.errors.length === 0, page.errors.join('\n'));
});

await test('export what a filter shows from the page, and importing the file gives the same links and tags (zh 1280, en 390)', async () => {
  const urls = ['https://example.com/exp/一', 'https://example.com/exp/two?x=1&y=2', 'https://example.com/exp/3'];
  const made = [];
  for (const [i, u] of urls.entries()) made.push(await addLink(u, ['导出测试', i ? 'exp-' + i : '中文标签'], i === 1 ? 'Quotes "and" <angles> & 汉字' : null));
  const before = (await rpc('link.list', { tags_all: ['导出测试'] })).links;
  for (const [vp, locale, label] of [[DESKTOP, 'zh-CN', '书签 HTML'], [PHONE, 'en-US', 'Bookmarks HTML']]) {
    const page = await newPage({ viewport: vp, locale, mobile: vp === PHONE });
    await page.goto(URL_ + '/links?all=' + encodeURIComponent('导出测试'));
    await waitReady(page);
    const a = page.locator('#links-export a[data-format=netscape]');
    assert((await a.textContent()) === label, 'button label: ' + await a.textContent());
    const href = await a.getAttribute('href');
    assert(new URL(href, URL_).searchParams.get('tags_all') === '导出测试', 'the filter is in the address: ' + href);
    const [dl] = await Promise.all([page.waitForEvent('download'), a.click()]);
    const file = fs.readFileSync(await dl.path(), 'utf8');
    assert(file.startsWith('<!DOCTYPE NETSCAPE-Bookmark-file-1>'), 'a bookmarks file: ' + file.slice(0, 60));
    const hrefs = [...file.matchAll(/HREF="([^"]*)"/g)].map((m) => m[1]);
    assert(hrefs.length === 3, 'the three links the filter shows, no more: ' + hrefs.length);
    // CSV too: the same three, a header line first
    const csv = await page.evaluate(async (u) => (await fetch(u)).text(), await page.getAttribute('#links-export a[data-format=csv]', 'href'));
    assert(csv.trim().split('\n').length === 4, 'csv: a header and three rows: ' + csv);
    if (vp === PHONE) {
      // the links go, and the file brings them back as they were
      for (const l of made) await rpc('link.delete', { id: l.id });
      assert((await rpc('link.count', { tags_all: ['导出测试'] })).count === 0, 'deleted');
      await page.goto(URL_ + '/import');
      await page.setInputFiles('#i-file', { name: 'export.html', mimeType: 'text/html', buffer: Buffer.from(file) });
      await page.click('form button[type=submit]');
      await page.waitForSelector('.summary:not([hidden]) dl.figures');
      const after = (await rpc('link.list', { tags_all: ['导出测试'] })).links;
      const key = (ls) => JSON.stringify(ls.map((l) => [l.url, [...l.tags].sort(), l.title ?? null]).sort());
      assert(key(after) === key(before), 'same links, tags and titles:\n' + key(before) + '\n' + key(after));
    }
    assert(page.errors.length === 0, page.errors.join('\n'));
  }
});

await test('the bookmarklet opens the add form filled with the page it was clicked on (en 390)', async () => {
  const title = 'Bookmarked “page” · 书签页';
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>${title}</title><p>a page to save</p>`);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const page = await newPage({ viewport: PHONE, locale: 'en-US', mobile: true, fresh: true });   // it opens windows
    await page.goto(URL_ + '/');
    const href = await page.getAttribute('#bookmarklet', 'href');
    assert(href.startsWith('javascript:') && !/<script|src=/i.test(href), 'a javascript: link with no script of anyone else: ' + href);
    assert(href.includes(JSON.stringify(URL_ + '/#add?url=')), 'opens this linksnap: ' + href);
    const fixtureUrl = `http://127.0.0.1:${srv.address().port}/article?x=1&y=中`;
    const fixture = await page.context().newPage();
    await fixture.goto(fixtureUrl);
    const [added] = await Promise.all([page.context().waitForEvent('page'),
      fixture.evaluate(decodeURIComponent(href.slice('javascript:'.length)))]);
    await added.waitForSelector('#add-url');
    await waitFor(added, () => document.getElementById('add-url').value !== '');
    const got = await added.evaluate(() => [document.getElementById('add-url').value, document.getElementById('add-title').value, location.pathname]);
    assert(got[0] === new URL(fixtureUrl).href && got[1] === title && got[2] === '/', 'the form: ' + JSON.stringify(got));
    await added.uncheck('#add-capture');
    await added.click('form.add-form button[type=submit]');
    await added.waitForSelector('.results [data-link-id]');
    const l = (await rpc('link.get', { url: new URL(fixtureUrl).href })).link;
    assert(l.title === title, 'saved with its title: ' + l.title);
    assert(page.errors.length === 0, page.errors.join('\n'));
  } finally {
    srv.close();
  }
});

await test('keyboard shortcuts: / a j k o ?, never while typing or composing (en 1280, zh 390)', async () => {
  for (let i = 0; i < 3; i++) await addLink(`https://example.net/keys/${i}`, ['快捷键']);
  for (const [locale, width] of [['en-US', 1280], ['zh-CN', 390]]) {
    const page = await newPage({ locale, viewport: width < 500 ? PHONE : DESKTOP, mobile: width < 500 });
    await page.goto(URL_ + '/links?all=' + encodeURIComponent('快捷键'));
    await waitReady(page);
    const list = await ids(page);
    const current = () => page.evaluate(() => [document.querySelector('#links .card.current')?.dataset.linkId,
      document.activeElement.closest('[data-link-id]')?.dataset.linkId]);
    await page.keyboard.press('j');
    assert(JSON.stringify(await current()) === JSON.stringify([String(list[0]), String(list[0])]), 'j: first ' + await current());
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    assert((await current())[0] === String(list[1]), 'j j j k: second ' + await current());
    await page.keyboard.press('o');
    await waitFor(page, (id) => location.pathname === `/links/${id}`, list[1]);
    await page.waitForSelector('.detail h2');   // the page drawn, then the next key
    await page.keyboard.press('a');
    await waitFor(page, () => location.pathname === '/' && document.activeElement.id === 'add-url');
    await page.keyboard.type('ja/o?');   // typed into the field, none a shortcut
    assert(await page.evaluate(() => location.pathname === '/' && document.getElementById('add-url').value === 'ja/o?' && !document.getElementById('keys')), 'typing is typing');
    // an input method composing: keydown with isComposing, or keyCode 229
    await page.evaluate(() => document.activeElement.blur());
    // (a shortcut cancels its keydown at once: dispatchEvent's answer says whether one ran)
    const untouched = await page.evaluate(() => [
      new KeyboardEvent('keydown', { key: '/', isComposing: true, bubbles: true, cancelable: true }),
      new KeyboardEvent('keydown', { key: '/', keyCode: 229, bubbles: true, cancelable: true }),
      new KeyboardEvent('keydown', { key: '/', bubbles: true, cancelable: true })].map((ev) => document.body.dispatchEvent(ev)));
    assert(JSON.stringify(untouched) === '[true,true,false]', 'composing is not a shortcut, the same key is: ' + untouched);
    await waitFor(page, () => location.pathname === '/links');
    await page.goBack();
    await waitFor(page, () => location.pathname === '/' && document.getElementById('add-url'));
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('/');
    await waitFor(page, () => location.pathname === '/links' && document.activeElement.id === 'links-q');
    await page.keyboard.type('jk');
    assert(await page.evaluate(() => document.getElementById('links-q').value === 'jk' && !document.querySelector('.card.current')), 'j k typed into the search box');
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('?');
    await page.waitForSelector('dialog#keys[open]');
    const keys = await page.$$eval('dialog#keys kbd', (k) => k.map((x) => x.textContent).join(' '));
    assert(keys === '/ a j k o ?', 'the list: ' + keys);
    const heading = await page.textContent('dialog#keys h2');
    assert(heading === (locale === 'en-US' ? 'Keyboard shortcuts' : '键盘快捷键'), 'in the page language: ' + heading);
    await page.keyboard.press('a');   // the list is open: no shortcut behind it
    assert(await page.evaluate(() => location.pathname) === '/links', 'no shortcut under the list');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#keys', { state: 'detached' });
    assert(page.errors.length === 0, page.errors.join('\n'));
  }
});

await test('the light/dark switch sets data-theme and stays after a reload (zh 390 on a dark system)', async () => {
  const page = await newPage({ viewport: PHONE, mobile: true, dark: true, fresh: true });   // the switch is kept in localStorage
  await page.goto(URL_ + '/links');
  const look = () => page.evaluate(() => [document.documentElement.dataset.theme, getComputedStyle(document.documentElement).backgroundColor,
    document.getElementById('theme').textContent]);
  let l = await look();
  assert(l[0] === 'auto' && l[1] === 'rgb(17, 20, 24)' && l[2] === '自动配色', 'auto follows the dark system: ' + l);
  await page.click('#theme');
  l = await look();
  assert(l[0] === 'light' && l[1] === 'rgb(246, 247, 249)' && l[2] === '浅色', 'light over a dark system: ' + l);
  await page.reload();
  await page.waitForSelector('#theme');
  l = await look();
  assert(l[0] === 'light' && l[1] === 'rgb(246, 247, 249)', 'light after a reload: ' + l);
  await page.click('#theme');
  await page.reload();
  await page.waitForSelector('#theme');
  l = await look();
  assert(l[0] === 'dark' && l[1] === 'rgb(17, 20, 24)', 'dark after a reload: ' + l);
  // a light system with the switch on dark
  await page.emulateMedia({ colorScheme: 'light' });
  l = await look();
  assert(l[1] === 'rgb(17, 20, 24)', 'dark over a light system: ' + l);
  await page.screenshot({ path: path.join(shotDir, 'theme-dark-switch-390-zh.png') });
  assert(page.errors.length === 0, page.errors.join('\n'));
});
// the shot viewer, the phone layout, the history's times (e2e_viewer.mjs)
await (await import('./e2e_viewer.mjs')).viewerCases({ test, newPage, url: URL_, rpc, addLink, fakeSnapshot, storeSql, waitFor, assert, shotDir });

// ---- #23 item 8: every message in the user's language (i18n23) ----
// Visible text outside user data ([data-user], <code>, <pre>, <kbd>) with URLs, hosts,
// numbers, units and product names taken out: three Latin words in a row are an English
// sentence left on the Chinese page.
async function latinSentences(page) {
  return page.evaluate(() => {
    const re = /[A-Za-z]{2,}(?:[\s,.'’-]+[A-Za-z]{2,}){2,}/;
    const names = /\b(?:linksnapd?|Chromium|Edge|PNG|MHTML|PDF|CSV|JSONL?|HTML|HTTP|MiB|KiB|MB|KB|GB|px|ms|utm_\w+|punycode|UTF-8|Esc|F)\b/g;
    const out = new Set();
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('[data-user], code, pre, kbd, script, style, textarea, noscript')) continue;
      if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) || !el.getClientRects().length) continue;
      const s = n.textContent.replace(/\b(?:https?|ftp|javascript|mailto):\S*/g, ' ')
        .replace(/\b[\w-]+(?:\.[\w-]+)+(?:[/:]\S*)?/g, ' ').replace(names, ' ');
      const m = re.exec(s);
      if (m) out.add(`"${m[0]}" in <${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ')[0] : ''}>: ${n.textContent.trim().slice(0, 100)}`);
    }
    return [...out];
  });
}

await test('no English sentence on the Chinese pages: errors, reasons, every page (zh 1280 and 390)', async () => {
  // user data in Latin letters on purpose: it must show as it is, marked as the user's
  const l1 = await addLink('https://example.org/i18n/tour', ['reading', '设计'], 'A tour of the write ahead log');
  const sid = await fakeSnapshot(l1.id, 1280, 1500, {
    title: 'A tour of the write ahead log',
    text: { title: 'A tour of the write ahead log', byline: 'By Some Author', lang: 'en', cut: false, text: 'The log comes first.',
      blocks: [{ kind: 'h1', text: 'A tour of the write ahead log' }, { kind: 'p', text: 'The log is written before the pages are changed.' }] },
  });
  const l2 = await addLink('https://example.com/i18n/second', ['reading'], '第二个链接');
  await fakeSnapshot(l2.id, 1280, 2000);
  const found = [];
  const scan = async (page, where) => {
    for (const f of await latinSentences(page)) found.push(`${where}: ${f}`);
  };
  for (const viewport of [{ width: 1280, height: 860 }, { width: 390, height: 844 }]) {
    const vw = viewport.width;
    const page = await newPage({ viewport, mobile: vw < 500 });
    // links: the list, a tag filter, a search that finds nothing (the empty state)
    // (one load, then the page's own router from address to address)
    await page.goto(URL_ + '/links');
    await waitReady(page);
    for (const q of ['', '?all=reading', '?none=reading&mode=none&view=list', '?broken=1', '?q=zzzz-nothing-matches']) {
      if (q) await spaLinks(page, '/links' + q);
      await settle(page);
      await scan(page, `${vw} /links${q}`);
    }
    // add: a bad URL, an unsupported scheme and a duplicate, shown together
    await spaGo(page, '/');
    await page.fill('[name=url]', 'not a url at all\nftp://files.example/x\nhttps://example.org/i18n/tour');
    await page.click('form button[type=submit]');
    await page.waitForSelector('.form-status.error');
    await page.waitForSelector(`.results [data-link-id="${l1.id}"] .note.dup`);
    const status = await page.textContent('.form-status.error');
    assert(status.includes('不是网址') && status.includes('不支持的网址协议'), 'add errors in Chinese: ' + status);
    assert(await page.isVisible('.form-status bdi[data-user]'), 'the typed URL is set apart');
    await scan(page, `${vw} add`);
    // import: a summary with bad lines (a bad URL, a bad scheme, a tag with a comma)
    await spaGo(page, '/import');
    const text = 'https://example.com/i18n/imp/1\nnot a url\njavascript:alert(1)\nhttps://example.com/i18n/imp/2\n';
    await page.setInputFiles('#i-file', { name: 'links.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
    await page.click('form button[type=submit]');
    await page.waitForSelector('.summary:not([hidden]) table.invalid td.reason');
    const reasons = await page.$$eval('.summary td.reason', (els) => els.map((e) => e.dataset.code + ' ' + e.textContent));
    assert(reasons.length === 2 && reasons.every((r) => /^url_\w+ .*网址/.test(r)), 'reasons: ' + reasons.join(' | '));
    await scan(page, `${vw} import`);
    // tags, stats, changes, a link's detail, its reader view
    for (const [p, sel] of [['/tags', 'main table, main .empty, main p'], ['/stats', 'main h2'], ['/changes', 'main h2'],
      [`/links/${l1.id}`, 'main h2, main h1'], [`/read/${sid}`, 'main h1, main article']]) {
      await spaGo(page, p);
      await page.waitForSelector(sel);
      if (p === '/stats') {   // its charts drawn and the queue's panel filled
        await waitFor(page, () => document.querySelectorAll('figure.chart .chart-box svg').length === 3 &&
          document.querySelector('.fleet table.endpoints tbody tr'));
      }
      await settle(page);
      await scan(page, `${vw} ${p}`);
    }
    // sites: a rule, and a match the daemon refuses (its reason in a toast)
    await spaGo(page, '/sites');
    await page.waitForSelector('#s-match');
    await page.fill('#s-match', 'bad match here');
    await page.click('.site-form button[type=submit]');
    await page.waitForSelector('#toast.show.error');
    const toastText = await page.textContent('#toast');
    assert(/[\u4e00-\u9fff]/.test(toastText) && !/space or control/.test(toastText), 'site error in Chinese: ' + toastText);
    await scan(page, `${vw} /sites`);
    assert(page.errors.length === 0, page.errors.join('\n'));
    // the login dialog (a context without the session)
    const ctx = await browser.newContext({ viewport, locale: 'zh-CN' });
    const lp = await ctx.newPage();
    await lp.goto(URL_ + '/links');
    await lp.waitForSelector('dialog.login-dialog[open]');
    await lp.fill('#token', 'wrong-token');
    await lp.click('dialog.login-dialog button[type=submit]');
    await waitFor(lp, () => !!document.querySelector('dialog.login-dialog p.error')?.textContent);
    const said = await lp.textContent('dialog.login-dialog p.error');
    assert(said === '令牌不正确', 'wrong token: ' + said);
    await scan(lp, `${vw} login`);
    await ctx.close();
  }
  assert(found.length === 0, 'English sentences on the Chinese pages:\n  ' + found.join('\n  '));
});

await test('screenshots of every page: light desktop and dark phone (all four corners with the full matrix)', async () => {
  const detail = (await rpc('link.list', { tags_all: ['tall'], limit: 1 })).links[0];
  // a few links with thumbnails for the pictures
  for (let i = 0; i < 6; i++) {
    const l = await addLink(`https://example.org/gallery/${i}`, ['gallery', i % 2 ? '设计' : 'reading'], ['数据库索引的原理', 'A tour of WAL mode', '浏览器渲染流程', 'Tags as sets', '链接快照平台使用说明', 'Headless capture'][i]);
    await fakeSnapshot(l.id, 1280, 2400);
  }
  const pages = [['add', '/'], ['links', '/links'], ['detail', `/links/${detail.id}`], ['tags', '/tags'], ['stats', '/stats'], ['import', '/import'], ['sites', '/sites'], ['changes', '/changes']];
  // light desktop and dark phone by default (the other cases cover every corner between
  // them); all four corners for the docs' pictures or with LINKSNAP_E2E_MATRIX=full
  const all4 = process.env.LINKSNAP_E2E_MATRIX === 'full' || process.env.LINKSNAP_WEB_SHOTS === 'docs';
  const corners = all4 ? [[false, false], [true, false], [false, true], [true, true]] : [[false, false], [true, true]];
  for (const [dark, mobile] of corners) {
    const page = await newPage({ dark, mobile, viewport: mobile ? { width: 390, height: 844 } : { width: 1280, height: 860 } });
    // one load, then the page's own router from page to page
    await page.goto(URL_ + '/');
    for (const [name, p] of pages) {
      if (name === 'links') await spaLinks(page, p);
      else if (p !== '/') await spaGo(page, p);
      if (name === 'detail') await page.waitForSelector('.shot img.tile');
      await settle(page);
      await page.screenshot({ path: path.join(shotDir, `web-${name}-${dark ? 'dark' : 'light'}-${mobile ? 'phone' : 'desktop'}.png`) });
    }
    assert(page.errors.length === 0, page.errors.join('\n'));
  }
});

// ---- #23 item 9: a partial capture's reasons, translated from their codes (reasons23) ----
await test('a partial capture says why in the page language, from its reason codes (zh, en)', async () => {
  const link = await addLink('https://example.com/slow-partial', ['原因'], '加载很慢的页面');
  const sid = await fakeSnapshot(link.id, 1280, 800);
  const reasons = [
    { code: 'load_event', params: { seconds: 9 }, text: 'the page did not finish loading: the load event had not fired within 9 s' },
    { code: 'requests_pending', params: { count: 5, hosts: ['cdn.example', 'ads.example'], distinct_hosts: 3 },
      text: '5 requests still pending (cdn.example, ads.example, ...)' },
    { code: 'wait_for_missing', params: { selector: '#main > p' }, text: 'the wait_for selector #main > p did not appear in time' },
    { code: 'from_a_newer_daemon', params: {}, text: 'something this page has no words for' },
  ];
  // the snapshot made partial as the daemon stores it: reasons kept with the timings
  await storeSql("UPDATE snapshots SET state = 'partial', partial_kind = 2, error = ?, timings = ? WHERE id = ?",
    [reasons.map((r) => r.text).join('; '), JSON.stringify({ wait_ms: 9000, reasons }), sid]);
  const snap = (await rpc('link.get', { id: link.id })).link.last_snapshot;
  assert(snap && JSON.stringify(snap.reasons) === JSON.stringify(reasons), 'wire reasons: ' + JSON.stringify(snap && snap.reasons));
  assert(snap.timings && !('reasons' in snap.timings), 'reasons are not left among the timings');
  const want = {
    'zh-CN': ['页面在 9 秒内未加载完成（load 事件未触发）', '截止时仍有 5 个请求未完成（cdn.example、ads.example 等）',
      '等待的元素 #main > p 未在时限内出现', 'something this page has no words for'],
    'en-US': ['the load event had not fired within 9 s', 'requests still pending: 5 (cdn.example, ads.example, ...)',
      'the wait_for selector #main > p did not appear in time', 'something this page has no words for'],
  };
  for (const [locale, texts] of Object.entries(want)) {
    const page = await newPage({ locale });
    await page.goto(URL_ + '/links/' + link.id);
    await page.waitForSelector(`table.history tr[data-snapshot-id="${sid}"] .reasons li`);
    const got = await page.$$eval(`table.history tr[data-snapshot-id="${sid}"] .reasons li`,
      (els) => els.map((e) => [e.dataset.code, e.textContent, e.title]));
    assert(JSON.stringify(got.map((g) => g[1])) === JSON.stringify(texts), `${locale} reasons: ${JSON.stringify(got)}`);
    assert(got.every((g, i) => g[0] === reasons[i].code && g[2] === reasons[i].text), `${locale} codes and tooltips: ${JSON.stringify(got)}`);
    assert(page.errors.length === 0, page.errors.join('\n'));
  }
});

// ---- the end -------------------------------------------------------------------------
await browser.close();
fixtures.stdin.end();
daemon.kill('SIGTERM');
const code = await new Promise((r) => { if (daemon.exitCode !== null) r(daemon.exitCode); else daemon.on('exit', (c) => r(c)); });
const text = fs.readFileSync(logPath, 'utf8');
if (code !== 0 || /AddressSanitizer|runtime error:|LeakSanitizer/.test(text)) {
  failed++;
  console.log(`FAIL linksnapd exited with ${code}:\n${text.slice(-4000)}`);
} else {
  fs.rmSync(root, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
