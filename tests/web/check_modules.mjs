// check_modules.mjs -- every module of the web page parses, every name one module imports
// from another is exported there, and app.css's blocks are closed. A page whose module
// fails to parse renders nothing at all; this says which file and line in a second, where
// web_e2e would only time out waiting for the first form.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const dir = process.argv[2];
if (!dir) { console.error('usage: check_modules.mjs DIR'); process.exit(2); }
const files = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
let failed = 0;
const fail = (msg) => { failed++; console.log('FAIL ' + msg); };
if (files.length < 5) fail(`only ${files.length} modules in ${dir}`);

const src = new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
const exported = new Map();
for (const [f, s] of src) {
  const names = new Set();
  for (const m of s.matchAll(/export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([\w$]+)/g)) names.add(m[1]);
  for (const m of s.matchAll(/export\s*\{([^}]*)\}/g))
    for (const n of m[1].split(',')) if (n.trim()) names.add(n.split(/\s+as\s+/).pop().trim());
  exported.set(f, names);
}
for (const [f, s] of src) {
  for (const m of s.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]\.\/([\w.]+)['"]/g)) {
    if (!src.has(m[2])) { fail(`${f} imports from ./${m[2]}, which is not there`); continue; }
    for (const n of m[1].split(',')) {
      const name = n.trim().split(/\s+as\s+/)[0];
      if (name && !exported.get(m[2]).has(name)) fail(`${f} imports ${name}, which ${m[2]} does not export`);
    }
  }
}
// the parse itself: node --check reads each file as a module (it runs nothing)
for (const f of files) {
  try {
    execFileSync(process.execPath, ['--input-type=module', '--check'], { input: src.get(f), stdio: ['pipe', 'pipe', 'pipe'] });
    console.log(`ok   ${f}`);
  } catch (e) {
    fail(`${f} does not parse:\n${String(e.stderr).split('\n').slice(0, 5).join('\n')}`);
  }
}
// the style sheet: braces balance outside comments and strings (a lost '}' silently
// swallows every rule after it into a media query)
const cssPath = join(dir, '..', 'app.css');
{
  const css = readFileSync(cssPath, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/"[^"\n]*"|'[^'\n]*'/g, '""');
  let depth = 0, line = 1, bad = 0;
  for (const ch of css) {
    if (ch === '\n') line++;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth < 0) { bad = line; break; }
  }
  if (bad) fail(`app.css: a '}' with no '{' at line ${bad}`);
  else if (depth) fail(`app.css: ${depth} block(s) never closed`);
  else console.log('ok   app.css braces');
}
console.log(`${files.length} modules, ${failed} failed`);
process.exit(failed ? 1 : 0);
