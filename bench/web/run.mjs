// bench/web/run.mjs -- the web page with 100,000 links, in the system Chromium
// (playwright-core from tests/web/node_modules).
//   1. /links first screen: from navigation start to the first page painted with its
//      visible thumbnails decoded (the page's performance mark "links-ready"), cold
//      browser cache each run;
//   2. filter change: clicking a tag chip, from the reload's start ("links-filter-start")
//      to the next "links-ready";
//   3. linksnapd RSS with the web server on (after serving the page) and off (after the
//      same list calls over the socket), alternating.
// Best of N runs with the spread (min..max). Usage:
//   node bench/web/run.mjs [--build build-clang] [--links 100000] [--runs 7]
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.join(here, '..', '..');
const arg = (k, d) => { const i = process.argv.indexOf('--' + k); return i > 0 ? process.argv[i + 1] : d; };
const BUILD = path.resolve(arg('build', 'build'));
const N = Number(arg('links', 100000));
const RUNS = Number(arg('runs', 7));
const { chromium } = await import(path.join(SRC, 'tests', 'web', 'node_modules', 'playwright-core', 'index.mjs'));

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'linksnap-webbench-'));
const state = path.join(root, 'state');
const sock = path.join(root, 's.sock');

async function start(http) {
  const logPath = path.join(root, `log-${Date.now()}`);
  const log = fs.openSync(logPath, 'a');
  const p = spawn(path.join(BUILD, 'daemon', 'linksnapd'), ['--state-dir', state, '--socket', sock, '--http-listen', http],
    { stdio: ['ignore', log, log] });
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const text = fs.readFileSync(logPath, 'utf8');
    if (/ready:/.test(text) && (http === 'off' || /web page at/.test(text))) {
      const m = /web page at (\S+)/.exec(text);
      return { p, url: m ? m[1] : null };
    }
  }
  throw new Error('linksnapd did not start: ' + fs.readFileSync(logPath, 'utf8'));
}
async function stop(d) {
  d.p.kill('SIGTERM');
  await new Promise((r) => d.p.on('exit', r));
}
function sockCall(method, params) {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(sock);
    let buf = '';
    c.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) { c.end(); resolve(JSON.parse(buf.split('\n')[0])); }
    });
    c.on('error', reject);
    c.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) + '\n');
  });
}
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const stats = (xs) => ({ best: Math.min(...xs), worst: Math.max(...xs), median: xs.slice().sort((a, b) => a - b)[xs.length >> 1] });

// ---- data: N links over 20 tags through one JSONL import, thumbnails for the newest 60 ----
console.log(`preparing ${N} links in ${state}`);
const tagNames = ['reading', 'database', 'design', 'video', 'news', '数据库', '设计', '工具', 'rust', 'c', 'web', 'ops',
  'linux', 'python', 'ai', 'music', 'travel', 'food', 'later', 'done'];
const lines = [];
for (let i = 0; i < N; i++) {
  const tags = [tagNames[i % 20], tagNames[(i * 7 + 3) % 20]];
  lines.push(JSON.stringify({ url: `https://site${i % 997}.example/post/${i}`, title: `Post ${i} 第${i}篇`, tags }));
}
const file = path.join(root, 'links.jsonl');
fs.writeFileSync(file, lines.join('\n') + '\n');
let d = await start('off');
const imp = await sockCall('import.start', { path: file, capture: false });
for (;;) {
  const r = await sockCall('import.get', { id: imp.result.import_id });
  if (r.result.state !== 'running') { console.log('import', r.result.state, r.result.added); break; }
  await new Promise((r2) => setTimeout(r2, 200));
}
const newest = (await sockCall('link.list', { limit: 60 })).result.links;
await stop(d);
for (const l of newest) {
  execFileSync('python3', [path.join(SRC, 'tests', 'web', 'fake_snapshot.py'), state, String(l.id), '1280', '2400']);
}

// ---- the browser ----------------------------------------------------------------------
const args = ['--disable-gpu'];
if (process.getuid() === 0) args.push('--no-sandbox');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args });
async function waitFor(page, fn, arg2, timeout = 30000) {
  const end = Date.now() + timeout;
  while (!(await page.evaluate(fn, arg2))) {
    if (Date.now() > end) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const first = [], filter = [], rssOn = [], rssOff = [];
for (let run = 0; run < RUNS; run++) {
  // web server on: first screen and a filter change, then RSS
  d = await start('127.0.0.1:0');
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  // the page needs its token: log in with the address `linksnap web` prints
  const login = (await sockCall('web.login_url', {})).result.url;
  await page.goto(login);
  await page.goto(d.url + '/links');
  await waitFor(page, () => Number(document.body.dataset.linksReady || 0) >= 1);
  first.push(await page.evaluate(() => performance.getEntriesByName('links-ready')[0].startTime));
  await page.click('.tag-bar button.chip[data-tag="design"]');
  await waitFor(page, () => Number(document.body.dataset.linksReady || 0) >= 2);
  filter.push(await page.evaluate(() => {
    const s = performance.getEntriesByName('links-filter-start').at(-1).startTime;
    return performance.getEntriesByName('links-ready').at(-1).startTime - s;
  }));
  await ctx.close();
  await new Promise((r) => setTimeout(r, 300));
  rssOn.push(rssKiB(d.p.pid) / 1024);
  await stop(d);
  // web server off: the same list calls over the socket, then RSS
  d = await start('off');
  await sockCall('link.list', { limit: 48 });
  await sockCall('tag.list', {});
  await sockCall('link.list', { limit: 48, tags_all: ['design'] });
  await new Promise((r) => setTimeout(r, 300));
  rssOff.push(rssKiB(d.p.pid) / 1024);
  await stop(d);
  console.log(`run ${run + 1}: first screen ${first.at(-1).toFixed(1)} ms, filter ${filter.at(-1).toFixed(1)} ms, RSS on ${rssOn.at(-1).toFixed(1)} MiB, off ${rssOff.at(-1).toFixed(1)} MiB`);
}
await browser.close();
const f = (s, u) => `best ${s.best.toFixed(1)}${u}, median ${s.median.toFixed(1)}${u}, spread ${s.best.toFixed(1)}..${s.worst.toFixed(1)}${u}`;
const diffs = rssOn.map((x, i) => x - rssOff[i]);
console.log(`\n${N} links, ${RUNS} alternating runs (${BUILD})`);
console.log(`links first screen (navigation -> thumbnails painted): ${f(stats(first), ' ms')}`);
console.log(`filter change (chip click -> painted):                 ${f(stats(filter), ' ms')}`);
console.log(`RSS web on:  ${f(stats(rssOn), ' MiB')}`);
console.log(`RSS web off: ${f(stats(rssOff), ' MiB')}`);
console.log(`RSS on - off per run: ${f(stats(diffs), ' MiB')}`);
fs.rmSync(root, { recursive: true, force: true });
