// app.js -- the page's entry: language, login when the daemon asks for its token, the
// event socket, and a small router over the History API (/, /links, /links/ID, /tags,
// /stats, /import, /sites, /read/SNAPSHOT_ID, /changes, /changes/FROM/TO). Each page gets
// a context whose event listeners and cleanups end when the user leaves it. Also the
// light/dark switch (data-theme on <html>, kept in localStorage) and the keyboard shortcuts.
import { h } from './dom.js';
import { t, lang, setLang, applyStatic, tErr } from './i18n.js';
import { authState, connectEvents, login, on, onLogin } from './api.js';
import { pageAdd } from './page_add.js';
import { pageLinks } from './page_links.js';
import { pageDetail } from './page_detail.js';
import { pageReader } from './page_reader.js';
import { pageTags } from './page_tags.js';
import { pageStats } from './page_stats.js';
import { pageImport } from './page_import.js';
import { pageSites } from './page_sites.js';
import { pageChanges, pageDiff } from './page_changes.js';

const routes = [
  [/^\/$/, 'add', pageAdd],
  [/^\/links$/, 'links', pageLinks],
  [/^\/links\/(\d+)$/, 'links', pageDetail],
  [/^\/read\/(\d+)$/, 'links', pageReader],
  [/^\/tags$/, 'tags', pageTags],
  [/^\/stats$/, 'stats', pageStats],
  [/^\/import$/, 'import', pageImport],
  [/^\/sites$/, 'sites', pageSites],
  [/^\/changes$/, 'changes', pageChanges],
  [/^\/changes\/(\d+)\/(\d+)$/, 'changes', pageDiff],
];

const main = document.getElementById('main');
let ctx = null;
let first = true;

function newContext() {
  const undo = [];
  return {
    on(prefix, fn) { undo.push(on(prefix, fn)); },
    cleanup(fn) { undo.push(fn); },
    dispose() { undo.splice(0).forEach((f) => f()); },
  };
}

async function render() {
  if (ctx) ctx.dispose();
  ctx = newContext();
  const path = location.pathname;
  const route = routes.find(([re]) => re.test(path));
  main.replaceChildren();
  for (const a of document.querySelectorAll('nav a')) {
    if (route && a.dataset.nav === route[1]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!route) {
    main.append(h('p', {}, '404'));
    return;
  }
  const label = document.querySelector(`nav a[data-nav="${route[1]}"]`);
  document.title = `${label ? label.textContent : ''} · ${t('title')}`;
  try {
    await route[2](main, ctx, ...(path.match(route[0]).slice(1)));
  } catch (e) {
    main.append(h('p', { class: 'error', role: 'alert' }, t('error', { m: tErr(e) })));
  }
  if (!first) main.focus({ preventScroll: false });
  first = false;
}

function go(url) {
  history.pushState(null, '', url);
  render();
  scrollTo(0, 0);
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.target || a.origin !== location.origin) return;
  const u = new URL(a.href);
  if (!routes.some(([re]) => re.test(u.pathname))) return;
  e.preventDefault();
  go(u.pathname + u.search);
});
addEventListener('popstate', render);

// The token dialog: shown once; the session cookie keeps us logged in afterwards.
let loginWait = null;
function askToken() {
  if (loginWait) return loginWait;
  loginWait = new Promise((resolve) => {
    const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'current-password', required: true });
    const msg = h('p', { class: 'error', role: 'alert' });
    const form = h('form', { class: 'panel login' },
      h('h2', {}, t('login_heading')), h('p', { class: 'muted login-where' }, t('login_where')),
      h('label', { for: 'token' }, t('login_token')), input,
      h('button', { type: 'submit', class: 'primary' }, t('login_submit')), msg);
    const dlg = h('dialog', { class: 'login-dialog', 'aria-labelledby': 'login-h' }, form);
    form.querySelector('h2').id = 'login-h';
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const ok = await login(input.value);
      if (ok === true) {
        dlg.close();
        dlg.remove();
        loginWait = null;
        resolve();
      } else {
        msg.textContent = ok && ok.data ? tErr(ok) : t('login_wrong');
        input.select();
      }
    });
    dlg.addEventListener('cancel', (e) => e.preventDefault());
    document.body.append(dlg);
    dlg.showModal();
    input.focus();
  });
  return loginWait;
}
onLogin(askToken);

const langBtn = document.getElementById('lang');
function paintLang() {
  applyStatic(document);
  langBtn.textContent = t('lang_switch');
  langBtn.setAttribute('aria-label', t('lang_label'));
}
langBtn.addEventListener('click', () => {
  setLang(lang === 'zh' ? 'en' : 'zh');
  paintLang();
  paintTheme();
  render();
});

// ---- theme: auto (the system's), light or dark; app.css reads data-theme ----------------
const THEMES = ['auto', 'light', 'dark'];
const themeBtn = h('button', { type: 'button', id: 'theme', class: 'ghost' });
langBtn.before(themeBtn);
let themeNow = 'auto';
try { themeNow = localStorage.getItem('linksnap.theme'); } catch { /* storage off: auto */ }
if (!THEMES.includes(themeNow)) themeNow = 'auto';
function paintTheme() {
  document.documentElement.dataset.theme = themeNow;
  themeBtn.textContent = t('theme_' + themeNow);
  themeBtn.title = t('theme_label');
  themeBtn.setAttribute('aria-label', `${t('theme_label')} ${t('theme_' + themeNow)}`);
}
themeBtn.addEventListener('click', () => {
  themeNow = THEMES[(THEMES.indexOf(themeNow) + 1) % THEMES.length];
  try { localStorage.setItem('linksnap.theme', themeNow); } catch { /* this visit only */ }
  paintTheme();
  dispatchEvent(new CustomEvent('linksnap-theme', { detail: themeNow }));
});
paintTheme();

// ---- keyboard shortcuts: / search, a add, j/k move, o open, ? the list ----------------
const KEYS = [['/', 'key_search'], ['a', 'key_add'], ['j', 'key_next'], ['k', 'key_prev'], ['o', 'key_open'], ['?', 'key_help']];

// typing in a field, or composing with an input method: the keys are the user's text
function typing(e) {
  if (e.isComposing || e.keyCode === 229) return true;
  const el = e.target;
  return !!(el && el.closest && (el.isContentEditable ||
    el.closest('input, textarea, select, [contenteditable]:not([contenteditable="false"])')));
}

function showKeys() {
  const open = document.getElementById('keys');
  if (open) { open.close(); return; }
  const dlg = h('dialog', { id: 'keys', class: 'keys-dialog panel', 'aria-labelledby': 'keys-h' },
    h('h2', { id: 'keys-h' }, t('keys_heading')),
    h('dl', {}, KEYS.map(([k, what]) => h('div', {}, h('dt', {}, h('kbd', {}, k)), h('dd', {}, t(what))))),
    h('form', { method: 'dialog' }, h('button', { type: 'submit' }, t('key_close'))));
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}

// j / k: the current card of the links list, marked and focused (its title link)
function moveCard(step) {
  const cards = [...document.querySelectorAll('#links [data-link-id]')];
  if (!cards.length) return;
  const at = cards.findIndex((c) => c.classList.contains('current'));
  const next = cards[at < 0 ? (step > 0 ? 0 : cards.length - 1) : Math.min(cards.length - 1, Math.max(0, at + step))];
  for (const c of cards) if (c !== next) c.classList.remove('current');
  next.classList.add('current');
  next.querySelector('a.title')?.focus({ preventScroll: true });
  next.scrollIntoView({ block: 'nearest' });
}

document.addEventListener('keydown', async (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
  const key = e.key;
  const help = document.getElementById('keys');
  if (key === '?' && (help || !document.querySelector('dialog[open]'))) { e.preventDefault(); showKeys(); return; }
  if (document.querySelector('dialog[open]')) return;   // the login box, the list
  if (key === '/' || key === 'a') {   // a page's field, after the router's focus on <main>
    e.preventDefault();
    const [to, field] = key === '/' ? ['/links', 'links-q'] : ['/', 'add-url'];
    if (location.pathname !== to || location.hash) {
      history.pushState(null, '', to);
      await render();
      scrollTo(0, 0);
    }
    document.getElementById(field)?.focus();
  } else if (key === 'j' || key === 'k') {
    e.preventDefault();
    moveCard(key === 'j' ? 1 : -1);
  } else if (key === 'o') {
    const cur = document.querySelector('#links [data-link-id].current');
    if (cur) { e.preventDefault(); go(`/links/${cur.dataset.linkId}`); }
  }
});

async function boot() {
  paintLang();
  // the first screen does not wait for this: a call that needs the token gets 401 and
  // asks for it itself (api.js); this only asks early on pages that make no call
  authState().then((st) => { if (st.required && !st.ok) askToken(); }).catch(() => {});
  connectEvents();
  await render();
}
boot();
