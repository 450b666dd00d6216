#!/usr/bin/env node
// playwright-corpus.js -- the Playwright side of the real-page comparison (bench/corpus/run.py).
//
//   node playwright-corpus.js --out DIR --concurrency N [--timeout MS] PAGES.json
//
// PAGES.json is [{"id": ..., "url": ...}]. One browser (/usr/bin/chromium), a fresh context
// per page (1280x800, scale 1), page.goto(url, {waitUntil: 'networkidle', timeout}) (30 s by
// default), then page.title() and a full-page screenshot to DIR/<id>.png. N pages at once.
// One JSON line per page on stdout: {id, ok, title, headline, error, ms, goto_ms, shot_ms}; the
// screenshot's size is read from the PNG by the caller. playwright-core comes from
// bench/capture/node_modules (npm ci there).
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require(path.join(__dirname, '..', 'capture', 'node_modules', 'playwright-core'));

const FLAGS = ['--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--hide-scrollbars'];

function parseArgs(argv) {
  const a = { out: null, concurrency: 1, timeout: 30000, pages: null };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') a.out = argv[++i];
    else if (argv[i] === '--concurrency') a.concurrency = parseInt(argv[++i], 10);
    else if (argv[i] === '--timeout') a.timeout = parseInt(argv[++i], 10);
    else a.pages = argv[i];
  }
  if (!a.out || !a.pages || !(a.concurrency >= 1) || !(a.timeout > 0)) {
    process.stderr.write('usage: playwright-corpus.js --out DIR --concurrency N [--timeout MS] PAGES.json\n');
    process.exit(2);
  }
  return a;
}

async function captureOne(browser, page0, out, timeout) {
  const t0 = Date.now();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    await page.goto(page0.url, { waitUntil: 'networkidle', timeout });
    const tGoto = Date.now();
    const title = await page.title();
    // where the headline is drawn (document coordinates): the first visible h1, else the
    // element with the largest text in the first 1500 px; tests/daemon/test_corpus.py looks
    // for ink there
    const headline = await page.evaluate(() => {
      const vis = (e) => { const r = e.getBoundingClientRect(); return r.width > 20 && r.height > 10 && r.bottom + scrollY < 3000; };
      let el = Array.from(document.querySelectorAll('h1')).find(vis);
      if (!el) {
        let best = 0;
        for (const e of document.querySelectorAll('h2, h3, p, a, span, div')) {
          if (!e.firstChild || e.firstChild.nodeType !== 3 || !e.textContent.trim() || !vis(e)) continue;
          const fs = parseFloat(getComputedStyle(e).fontSize) || 0;
          if (fs > best && e.getBoundingClientRect().top + scrollY < 1500) { best = fs; el = e; }
        }
      }
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return [Math.round(r.left + scrollX), Math.round(r.top + scrollY), Math.round(r.width), Math.round(r.height)];
    }).catch(() => null);
    await page.screenshot({ fullPage: true, path: out, timeout });
    const tShot = Date.now();
    return { ok: true, title, headline, goto_ms: tGoto - t0, shot_ms: tShot - tGoto, ms: tShot - t0 };
  } finally {
    await context.close().catch(() => {});
  }
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const pages = JSON.parse(fs.readFileSync(a.pages, 'utf8'));
  fs.mkdirSync(a.out, { recursive: true });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
  let next = 0;
  async function worker() {
    for (;;) {
      const i = next++;
      if (i >= pages.length) return;
      const p = pages[i];
      const t0 = Date.now();
      let r;
      try {
        r = await captureOne(browser, p, path.join(a.out, p.id + '.png'), a.timeout);
      } catch (e) {
        r = { ok: false, error: String((e && e.message) || e).split('\n')[0], ms: Date.now() - t0 };
      }
      process.stdout.write(JSON.stringify(Object.assign({ id: p.id }, r)) + '\n');
    }
  }
  const workers = [];
  for (let k = 0; k < Math.min(a.concurrency, pages.length); k++) workers.push(worker());
  await Promise.all(workers);
  await browser.close();
}

main().catch((e) => {
  process.stderr.write('playwright-corpus: ' + ((e && e.stack) || e) + '\n');
  process.exit(1);
});
