// e2e.mjs -- the web page end to end: the real linksnapd (its own state dir, web server on
// 127.0.0.1 port 0) and the system Chromium (headless) driven by playwright-core. Captures
// of real pages are never made: links are added with capture off and finished snapshots
// are faked into the store (fake_snapshot.py); once a capture engine answers
// snapshot.request, one more case captures a page served here on 127.0.0.1.
// Screenshots of every page (light/dark, desktop/phone) go to the build dir, or to
// docs/img when LINKSNAP_WEB_SHOTS=docs. Ends with "N passed, N failed".
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SRC = process.env.LINKSNAP_SRC || path.join(here, '..', '..');
const BUILD = process.env.LINKSNAP_BUILD || path.join(SRC, 'build');
const CHROMIUM = process.env.LINKSNAP_CHROMIUM || '/usr/bin/chromium';
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
// kept: {title?, text?, mhtml?, pdf?}: the page's text and files the capture kept (fake_snapshot.py)
function fakeSnapshot(linkId, w = 1280, h = 3000, kept = null) {
  const argv = [path.join(here, 'fake_snapshot.py'), state, String(linkId), String(w), String(h)];
  if (kept) argv.push(JSON.stringify(kept));
  return Number(execFileSync('python3', argv).toString().trim());
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

async function newPage(opts = {}) {
  const ctx = await browser.newContext({ viewport: opts.viewport || { width: 1280, height: 860 }, locale: opts.locale || 'zh-CN',
    colorScheme: opts.dark ? 'dark' : 'light', deviceScaleFactor: 1, isMobile: !!opts.mobile, hasTouch: !!opts.mobile });
  await ctx.addCookies([{ name: SESSION[0], value: SESSION[1], url: URL_ }]);
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) page.errors.push(m.text()); });
  return page;
}

let passed = 0, failed = 0;
function assert(cond, msg) { if (!cond) throw new Error('assertion failed: ' + msg); }
// LINKSNAP_E2E_ONLY=REGEX runs only the cases whose name matches (when working on one).
const only = process.env.LINKSNAP_E2E_ONLY ? new RegExp(process.env.LINKSNAP_E2E_ONLY) : null;
async function test(name, fn) {
  if (only && !only.test(name)) return;
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
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

// ---- cases -------------------------------------------------------------------------------
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
  fakeSnapshot(link.id);
  const page = await newPage();
  await page.goto(URL_ + '/links?all=thumb');
  await waitReady(page);
  const ok = await page.$eval(`[data-link-id="${link.id}"] img`, (img) => img.complete && img.naturalWidth === 320);
  assert(ok, 'thumbnail decoded');
});

await test('a dead link: the answer as its badge, the broken filter (zh 1280, en 390)', async () => {
  const gone = await addLink('https://example.com/dead-404', ['死链'], '已经不在的页面');
  const fine = await addLink('https://example.com/alive-200', ['死链'], '还在的页面');
  fakeSnapshot(gone.id, 1280, 800, { status: 404 });
  fakeSnapshot(fine.id, 1280, 800);
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
});

await test('link detail: tiles of a tall screenshot, history, edit', async () => {
  const link = await addLink('https://example.com/tall-page', ['tall'], '一个很长的页面');
  const sid = fakeSnapshot(link.id, 1280, 9000);
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
  const enSid = fakeSnapshot(en.id, 1280, 1500, {
    title: 'A Quiet Harbour',
    text: { title: 'A Quiet Harbour', byline: 'By Ada Lovelace', lang: 'en', cut: false, text: 'Menu\nThe keeper counted seventeen lighthouses.',
      blocks: [{ kind: 'h1', text: 'A Quiet Harbour' }, { kind: 'p', text: 'The keeper counted seventeen lighthouses along the northern coast before dawn.' },
        { kind: 'h2', text: 'Ships' }, { kind: 'li', text: 'The first ship' }, { kind: 'li', text: 'The second ship' },
        { kind: 'quote', text: 'Every light is a promise.' }, { kind: 'pre', text: 'const lights = 17;' }, { kind: 'p', text: evil }] },
    mhtml: 'From: <Saved by Blink>\r\nContent-Type: multipart/related;\r\n\r\n', pdf: '%PDF-1.4\n%%EOF\n',
  });
  const zh = await addLink('https://example.org/ml', ['reader'], '机器学习笔记');
  const zhSid = fakeSnapshot(zh.id, 1280, 1500, {
    title: '神经网络的历史',
    text: { title: '神经网络的历史', byline: null, lang: 'zh-CN', cut: true, text: '首页\n神经网络的研究始于二十世纪四十年代。',
      blocks: [{ kind: 'h1', text: '神经网络的历史' }, { kind: 'p', text: '神经网络的研究始于二十世纪四十年代，' + '人们用简单的模型理解大脑。'.repeat(8) },
        { kind: 'h2', text: '反向传播' }, { kind: 'p', text: '一九八六年，反向传播算法让多层网络可以训练。' }] },
  });
  const bareSid = fakeSnapshot((await addLink('https://example.org/bare', ['reader'])).id, 800, 600);
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
      page.on('request', (r) => { if (!r.url().startsWith(URL_)) foreign.push(r.url()); });
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
      assert(page.errors.length === 0, page.errors.join('\n'));
      await page.context().close();
    }
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
      innerHTMLFree: !svg.querySelector('script, foreignObject') };
  }));
}

await test('stats charts: drawn for their own size and language, no text below 11 CSS px', async () => {
  // some data: links over tags, and finished snapshots, so every chart has bars
  for (let i = 0; i < 5; i++) {
    const l = await addLink(`https://example.com/stats/${i}`, ['统计', i % 2 ? 'charts' : 'reading']);
    if (i < 2) fakeSnapshot(l.id, 1280, 1000);
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
      }
      assert(charts.some((c) => c.title === word), `${locale}: titles in the page's language: ${charts.map((c) => c.title)}`);
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
      await page.context().close();
    }
  }
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

// the shot viewer, the phone layout, the history's times (e2e_viewer.mjs)
await (await import('./e2e_viewer.mjs')).viewerCases({ test, browser, session: SESSION, url: URL_, rpc, addLink, fakeSnapshot, waitFor, assert, shotDir, state });

await test('screenshots of every page: light and dark, desktop and phone', async () => {
  const detail = (await rpc('link.list', { tags_all: ['tall'], limit: 1 })).links[0];
  // a few links with thumbnails for the pictures
  for (let i = 0; i < 6; i++) {
    const l = await addLink(`https://example.org/gallery/${i}`, ['gallery', i % 2 ? '设计' : 'reading'], ['数据库索引的原理', 'A tour of WAL mode', '浏览器渲染流程', 'Tags as sets', '链接快照平台使用说明', 'Headless capture'][i]);
    fakeSnapshot(l.id, 1280, 2400);
  }
  const pages = [['add', '/'], ['links', '/links'], ['detail', `/links/${detail.id}`], ['tags', '/tags'], ['stats', '/stats'], ['import', '/import'], ['sites', '/sites']];
  for (const [dark, mobile] of [[false, false], [true, false], [false, true], [true, true]]) {
    const page = await newPage({ dark, mobile, viewport: mobile ? { width: 390, height: 844 } : { width: 1280, height: 860 } });
    for (const [name, p] of pages) {
      await page.goto(URL_ + p);
      if (name === 'links') await waitReady(page);
      await page.waitForTimeout(name === 'detail' ? 700 : 250);
      await page.screenshot({ path: path.join(shotDir, `web-${name}-${dark ? 'dark' : 'light'}-${mobile ? 'phone' : 'desktop'}.png`) });
    }
    assert(page.errors.length === 0, page.errors.join('\n'));
  }
});

// ---- the end -------------------------------------------------------------------------
await browser.close();
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
