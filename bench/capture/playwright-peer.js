#!/usr/bin/env node
// playwright-peer.js -- the Playwright peer of the capture benchmark (bench/capture/run.py).
//
//   node playwright-peer.js --out DIR --concurrency N URL...
//
// One browser (LINKSNAP_BENCH_BROWSER, run.py's --browser, else Debian's /usr/bin/chromium;
// the quiet flags), a fresh context per page,
// viewport 1280x800 at scale 1, goto with waitUntil 'load', then network idle: no request
// in flight for 500 ms (counted from the page's request / requestfinished / requestfailed
// events, at most 10 s) -- the same rule linksnap applies, written out here rather than
// using waitUntil 'networkidle' (also 500 ms, but discouraged by Playwright's docs), then
// a full-page screenshot to DIR/NNN.png (NNN = index of the URL). N pages at once from a
// simple pool. One JSON line per page on stderr; the last line on stdout is
// {"done": true, "ok": k, "failed": k, "ms": wall} once every screenshot is written
// (before the browser is closed).
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const QUIET = ['--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--hide-scrollbars'];
const QUIET_MS = 500;
const IDLE_CAP_MS = 10000;

function parseArgs(argv) {
  const a = { out: null, concurrency: 1, urls: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') a.out = argv[++i];
    else if (argv[i] === '--concurrency') a.concurrency = parseInt(argv[++i], 10);
    else a.urls.push(argv[i]);
  }
  if (!a.out || !a.urls.length || !(a.concurrency >= 1)) {
    process.stderr.write('usage: playwright-peer.js --out DIR --concurrency N URL...\n');
    process.exit(2);
  }
  return a;
}

// Resolves once no request of the page has been in flight for QUIET_MS, or after
// IDLE_CAP_MS (then with partial: true).
function networkIdle(page, inflight) {
  return new Promise((resolve) => {
    let timer = null;
    const started = Date.now();
    const cap = setTimeout(() => finish(true), IDLE_CAP_MS);
    function finish(partial) {
      clearTimeout(timer);
      clearTimeout(cap);
      page.off('request', check);
      page.off('requestfinished', check);
      page.off('requestfailed', check);
      resolve({ partial, waitedMs: Date.now() - started });
    }
    function check() {
      clearTimeout(timer);
      if (inflight.size === 0) timer = setTimeout(() => finish(false), QUIET_MS);
    }
    page.on('request', check);
    page.on('requestfinished', check);
    page.on('requestfailed', check);
    check();
  });
}

async function captureOne(browser, url, out) {
  const t0 = Date.now();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    const inflight = new Set();
    page.on('request', (r) => inflight.add(r));
    page.on('requestfinished', (r) => inflight.delete(r));
    page.on('requestfailed', (r) => inflight.delete(r));
    const resp = await page.goto(url, { waitUntil: 'load', timeout: 60000 });
    const tLoad = Date.now();
    const idle = await networkIdle(page, inflight);
    const tIdle = Date.now();
    await page.screenshot({ fullPage: true, path: out, timeout: 60000 });
    const tShot = Date.now();
    return { ok: true, status: resp ? resp.status() : 0, partial: idle.partial,
      load_ms: tLoad - t0, idle_ms: tIdle - tLoad, shot_ms: tShot - tIdle, ms: tShot - t0 };
  } finally {
    await context.close();
  }
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  fs.mkdirSync(a.out, { recursive: true });
  const t0 = Date.now();
  const browser = await chromium.launch({ executablePath: process.env.LINKSNAP_BENCH_BROWSER || '/usr/bin/chromium', args: QUIET });
  let next = 0, ok = 0, failed = 0;
  async function worker() {
    for (;;) {
      const i = next++;
      if (i >= a.urls.length) return;
      const out = path.join(a.out, String(i).padStart(3, '0') + '.png');
      let r;
      try {
        r = await captureOne(browser, a.urls[i], out);
        ok++;
      } catch (e) {
        r = { ok: false, error: String(e && e.message || e).split('\n')[0] };
        failed++;
      }
      process.stderr.write(JSON.stringify(Object.assign({ page: i, url: a.urls[i] }, r)) + '\n');
    }
  }
  const workers = [];
  for (let k = 0; k < Math.min(a.concurrency, a.urls.length); k++) workers.push(worker());
  await Promise.all(workers);
  process.stdout.write(JSON.stringify({ done: true, ok, failed, ms: Date.now() - t0 }) + '\n');
  await browser.close();
}

main().catch((e) => {
  process.stderr.write('playwright-peer: ' + (e && e.stack || e) + '\n');
  process.exit(1);
});
