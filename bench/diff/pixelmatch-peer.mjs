// pixelmatch-peer.mjs -- the peer of bench/diff/diffbench.c: the same two PNG files read
// and decoded with pngjs and compared with pixelmatch (threshold 0.1, its default), timed
// in-process. Prints one JSON line: the time, the pixels pixelmatch counts as different,
// and the process's resident memory at its peak (VmHWM). With --rows (untimed use) it also
// draws pixelmatch's diff picture and says which rows hold a changed pixel: the first,
// the last and how many. Usage: node pixelmatch-peer.mjs A B [--rows]
import fs from 'node:fs';
import { PNG } from 'pngjs';
import pixelmatch from 'pixelmatch';

function hwmKb() {
  const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : -1;
}

const [fa, fb, rowsFlag] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const a = PNG.sync.read(fs.readFileSync(fa));
const b = PNG.sync.read(fs.readFileSync(fb));
if (a.width !== b.width || a.height !== b.height) {
  console.error(`pixelmatch-peer: sizes differ (${a.width}x${a.height}, ${b.width}x${b.height})`);
  process.exit(1);
}
const out = rowsFlag === '--rows' ? Buffer.alloc(a.width * a.height * 4) : null;
const n = pixelmatch(a.data, b.data, out, a.width, a.height, { threshold: 0.1 });
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const res = { ms, diff_pixels: n, changed_fraction: n / (a.width * a.height), hwm_kb: hwmKb(),
              width: a.width, height: a.height };
if (out) {
  // pixelmatch paints a changed pixel pure red (its diffColor), an antialiased one yellow
  let first = -1, last = -1, rows = 0;
  for (let y = 0; y < a.height; y++) {
    let hit = false;
    for (let i = y * a.width * 4; i < (y + 1) * a.width * 4 && !hit; i += 4)
      hit = out[i] === 255 && out[i + 1] === 0 && out[i + 2] === 0;
    if (hit) { if (first < 0) first = y; last = y; rows++; }
  }
  Object.assign(res, { first_row: first, last_row: last, rows_changed: rows });
}
console.log(JSON.stringify(res));
