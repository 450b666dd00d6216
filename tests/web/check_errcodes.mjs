// check_errcodes.mjs -- the page's texts for the daemon's error codes: every code of
// protocol/errcode.c has a zh and an en text in web/static/js/i18n.js, each {name} a text
// fills is a param some template of that code gives, and tErr/tErrNode translate a code
// with its params and fall back to the English message for a code the page does not know.
// Usage: check_errcodes.mjs SRC_DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.argv[2];
if (!root) { console.error('usage: check_errcodes.mjs SRC_DIR'); process.exit(2); }
let failed = 0;
const fail = (msg) => { failed++; console.log('FAIL ' + msg); };

// the table: {"code", "template" "continued"},
const c = readFileSync(join(root, 'protocol', 'errcode.c'), 'utf8');
const table = c.slice(c.indexOf('static const errcode_def_t table[]'), c.indexOf('const errcode_def_t *errcode_table'));
const holes = new Map();
for (const m of table.matchAll(/\{"(\w+)",((?:\s*"(?:[^"\\]|\\.)*")+)\}/g)) {
  const tmpl = [...m[2].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]).join('');
  if (!holes.has(m[1])) holes.set(m[1], new Set());
  for (const h of tmpl.matchAll(/\{([a-z0-9_]+)\}/g)) holes.get(m[1]).add(h[1]);
}
if (holes.size < 50) fail(`only ${holes.size} codes read from protocol/errcode.c`);

// i18n.js reads the language at load: a browser's globals, Chinese first, then English
const store = new Map();
globalThis.localStorage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
globalThis.navigator = { languages: ['zh-CN'] };
class El {
  constructor() { this.kids = []; this.dataset = {}; this.textContent_ = null; }
  append(...k) { this.kids.push(...k); }
  set textContent(v) { this.textContent_ = v; }
  get textContent() { return this.textContent_ ?? this.kids.map((k) => (typeof k === 'string' ? k : k.textContent)).join(''); }
}
globalThis.document = { createElement: (tag) => Object.assign(new El(), { tag }) };
const i18n = await import(pathToFileURL(join(root, 'web', 'static', 'js', 'i18n.js')).href);

for (const lang of ['zh', 'en']) {
  i18n.setLang(lang);
  for (const [code, names] of holes) {
    const key = 'e_' + code;
    const text = i18n.t(key);
    if (text === key) { fail(`${lang}: no text for ${code}`); continue; }
    for (const m of text.matchAll(/\{(\w+)\}/g))
      if (!names.has(m[1])) fail(`${lang}: ${code}'s text fills {${m[1]}}, which no template of it gives`);
  }
}

i18n.setLang('zh');
const err = { code: -32602, message: 'not a URL: hello (expected http:// or https://)',
  data: { code: 'url_not_a_url', params: { text: 'hello' } } };
const zh = i18n.tErr(err);
if (!zh.includes('不是网址') || !zh.includes('hello')) fail('tErr zh: ' + zh);
const node = i18n.tErrNode(err);
const user = node.kids.filter((k) => typeof k !== 'string');
if (user.length !== 1 || user[0].tag !== 'bdi' || user[0].textContent !== 'hello' || !('user' in user[0].dataset))
  fail('tErrNode: the typed text is not one <bdi data-user>');
if (i18n.tErr({ message: 'a sentence', data: { code: 'no_such_code', params: {} } }) !== 'a sentence') fail('unknown code: not the message');
if (i18n.tErr({ code: -32601, message: 'method not found' }) !== 'method not found') fail('no data: not the message');
if (!i18n.tErr({ line: 3, reason: 'entry has no URL', code: 'import_no_url', params: {} }).includes('没有网址')) fail('import line reason');
if (i18n.tErr({ line: 3, reason: 'something new' }) !== 'something new') fail('import line without a code');
i18n.setLang('en');
if (i18n.tErr(err) !== 'Not a URL: hello (expected http:// or https://)') fail('tErr en: ' + i18n.tErr(err));

console.log(`${holes.size} codes, ${failed} failed`);
process.exit(failed ? 1 : 0);
