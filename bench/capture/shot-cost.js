#!/usr/bin/env node
// shot-cost.js -- what one full-page screenshot costs the browser, by process and thread,
// for several forms of Page.captureScreenshot (bench/capture; docs/benchmarks.md, "Where the
// browser's CPU goes").
//
//   node shot-cost.js BASE PAGES VARIANTS
//     BASE      the fixture site (python3 tests/lib/fixture_site.py --port N prints it)
//     PAGES     mixed pages to shoot, e.g. 1,5,9,13,17,21
//     VARIANTS  a JSON list of captureScreenshot params; keys starting with _ are ours:
//               _clip: a clip of the page's measured size (what linksnap sends),
//               _metrics: the viewport set to the page's height first
//                         (Emulation.setDeviceMetricsOverride) instead of beyond-viewport
//   EXTRA="--flag ..." adds Chromium flags.
//
// Pages are taken one at a time (one fresh context each): goto 'load', 700 ms still, then
// the screenshot and 300 ms for what it leaves behind. Every thread of the browser's
// process tree is read from /proc before the goto, before the shot and after, so each line
// gives the CPU ms per page of loading and of shooting, by process type / thread name.
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');

function ptype(pid) {
  let c;
  try { c = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' '); } catch { return null; }
  const m = c.match(/--type=(\S+)/);
  return m ? m[1] : 'browser';
}

function statFields(pid, tid) {
  const s = fs.readFileSync(tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`, 'latin1');
  return { comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), f: s.slice(s.lastIndexOf(')') + 2).split(' ') };
}

function pids() {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

function tree(root) {
  const kids = {};
  for (const p of pids()) {
    try { const pp = statFields(p).f[1]; (kids[pp] = kids[pp] || []).push(p); } catch { /* gone */ }
  }
  const out = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.pop();
    out.push(p);
    for (const k of kids[p] || []) todo.push(k);
  }
  return out;
}

// {pid/tid: [type/thread, cpu ms]}
function snap(root) {
  const tick = 1000 / 100;   // USER_HZ
  const r = {};
  for (const pid of tree(root)) {
    const t = ptype(pid);
    if (!t) continue;
    let tids;
    try { tids = fs.readdirSync(`/proc/${pid}/task`); } catch { continue; }
    for (const tid of tids) {
      try {
        const { comm, f } = statFields(pid, tid);
        r[`${pid}/${tid}`] = [`${t}/${comm}`, (Number(f[11]) + Number(f[12])) * tick];
      } catch { /* gone */ }
    }
  }
  return r;
}

function delta(a, b, into) {
  for (const k in b) {
    const v = b[k][1] - (a[k] ? a[k][1] : 0);
    if (v) into[b[k][0]] = (into[b[k][0]] || 0) + v;
  }
}

async function main() {
  const [base, pageList, variantsJson] = process.argv.slice(2);
  if (!base || !pageList || !variantsJson) {
    process.stderr.write('usage: shot-cost.js BASE PAGES VARIANTS\n');
    process.exit(2);
  }
  const pages = pageList.split(',').map(Number);
  const variants = JSON.parse(variantsJson);
  const extra = process.env.EXTRA ? process.env.EXTRA.split(' ') : [];
  const browser = await chromium.launch({
    executablePath: '/usr/lib/chromium/chromium',
    args: extra.concat(['--headless', '--disable-gpu', '--hide-scrollbars', '--disable-quic'])
      .concat(process.getuid() === 0 ? ['--no-sandbox'] : []),
  });
  // the browser is this process's child
  const root = pids().find((p) => {
    try { const { comm, f } = statFields(p); return Number(f[1]) === process.pid && /chrom/.test(comm); } catch { return false; }
  });
  for (const v of variants) {
    const load = {}, shot = {};
    let bytes = 0, ms = 0;
    for (const n of pages) {
      const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await ctx.newPage();
      const s0 = snap(root);
      await page.goto(`${base}/mixed/${n}`, { waitUntil: 'load' });
      await page.waitForTimeout(700);
      const s1 = snap(root);
      const cdp = await ctx.newCDPSession(page);
      const opts = Object.assign({}, v);
      for (const k of Object.keys(opts)) if (k.startsWith('_')) delete opts[k];
      const t0 = Date.now();
      if (v._clip || v._metrics) {
        const m = await cdp.send('Page.getLayoutMetrics');
        const h = Math.ceil(m.cssContentSize.height);
        if (v._clip) opts.clip = { x: 0, y: 0, width: 1280, height: h, scale: 1 };
        if (v._metrics) {
          await cdp.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: h, deviceScaleFactor: 1, mobile: false });
        }
      }
      const r = await cdp.send('Page.captureScreenshot', opts);
      ms += Date.now() - t0;
      bytes += r.data.length * 3 / 4;
      await new Promise((res) => setTimeout(res, 300));
      const s2 = snap(root);
      delta(s0, s1, load);
      delta(s1, s2, shot);
      await ctx.close();
    }
    const n = pages.length;
    const top = (d) => Object.entries(d).sort((a, b) => b[1] - a[1]).slice(0, 8)
      .map(([k, x]) => `${k}=${Math.round(x / n)}`).join(' ');
    const sum = (d) => Math.round(Object.values(d).reduce((a, b) => a + b, 0) / n);
    console.log(JSON.stringify(v), `EXTRA=${extra.join(' ')}`, `shot ${Math.round(ms / n)} ms wall, ${Math.round(bytes / n / 1024)} KB`);
    console.log('  load + 700 ms, CPU ms/page', sum(load), top(load));
    console.log('  shot + 300 ms, CPU ms/page', sum(shot), top(shot));
  }
  await browser.close();
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
