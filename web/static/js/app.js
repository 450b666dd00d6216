// app.js -- the page's entry: language, login when the daemon asks for its token, the
// event socket, and a small router over the History API (/, /links, /links/ID, /tags,
// /stats, /import, /sites, /read/SNAPSHOT_ID, /changes, /changes/FROM/TO). Each page gets
// a context whose event listeners and cleanups end when the user leaves it.
import { h } from './dom.js';
import { t, lang, setLang, applyStatic } from './i18n.js';
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
    main.append(h('p', { class: 'error', role: 'alert' }, t('error', { m: e.message })));
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
      h('h2', {}, t('login_heading')), h('label', { for: 'token' }, t('login_token')), input,
      h('button', { type: 'submit', class: 'primary' }, t('login_submit')), msg);
    const dlg = h('dialog', { class: 'login-dialog', 'aria-labelledby': 'login-h' }, form);
    form.querySelector('h2').id = 'login-h';
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (await login(input.value)) {
        dlg.close();
        dlg.remove();
        loginWait = null;
        resolve();
      } else {
        msg.textContent = t('login_wrong');
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
  render();
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
