// page_sites.js -- 站点规则 / Site rules: how captures of a host, host:port or URL prefix are
// made (cookies, headers, a selector to wait for, selectors to hide, delay, scrolling,
// consent hiding). The list shows cookie and header names only: linksnapd never sends their
// values back. A Netscape cookies.txt can be imported into a rule. Its words live here, not
// in i18n.js, so this page stays one file.
import { h, announce, toast } from './dom.js';
import { lang } from './i18n.js';
import { rpc } from './api.js';

const words = {
  zh: {
    heading: '站点规则', intro: '匹配主机、主机:端口或网址前缀；相同匹配的规则会被替换。Cookie 和请求头的值保存后不再显示。',
    match: '匹配', match_ph: 'example.com 或 https://example.com/members', cookies: 'Cookie（每行 名称=值）',
    headers: '请求头（每行 名称: 值）', wait_for: '等待出现的选择器', hide: '隐藏的选择器（逗号分隔）',
    delay: '截图前等待 (ms)', form: '添加或替换规则', scroll: '滚动加载懒加载内容', consent: '隐藏 Cookie 同意横幅', save: '保存规则',
    saved: '已保存 {m}', none: '还没有站点规则', kind: '类型', settings: '设置', actions: '操作', del: '删除',
    confirm: '删除 {m} 的规则？', import: '导入 cookies.txt 到', import_btn: '导入', imported: '已导入 {n} 个 Cookie，{e} 行无效',
    defaults: '全局默认：隐藏同意横幅 {c}，被拦截后重试 {r} 次', on: '开', off: '关', error: '出错了：{m}',
  },
  en: {
    heading: 'Site rules', intro: 'Match a host, host:port or URL prefix; a rule with the same match is replaced. Cookie and header values are never shown again once saved.',
    match: 'Match', match_ph: 'example.com or https://example.com/members', cookies: 'Cookies (one NAME=VALUE per line)',
    headers: 'Headers (one Name: value per line)', wait_for: 'Wait for selector', hide: 'Hide selectors (comma separated)',
    delay: 'Delay before the shot (ms)', form: 'Add or replace a rule', scroll: 'Scroll to load lazy content', consent: 'Hide cookie consent banners', save: 'Save rule',
    saved: 'Saved {m}', none: 'No site rules yet', kind: 'Kind', settings: 'Settings', actions: 'Actions', del: 'Delete',
    confirm: 'Delete the rule for {m}?', import: 'Import cookies.txt into', import_btn: 'Import', imported: '{n} cookies imported, {e} bad lines',
    defaults: 'Defaults: hide consent banners {c}, retries after a block {r}', on: 'on', off: 'off', error: 'Something failed: {m}',
  },
};
function w(key, vars) {
  let s = (words[lang] || words.zh)[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : ''));
  return s;
}

function field(id, label, input) {
  input.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), input);
}

function describe(rule) {
  const parts = [];
  if (rule.cookies && rule.cookies.length) parts.push('cookies: ' + rule.cookies.map((c) => c.name).join(', '));
  if (rule.headers && Object.keys(rule.headers).length) parts.push('headers: ' + Object.keys(rule.headers).join(', '));
  if (rule.wait_for) parts.push('wait_for=' + rule.wait_for);
  if (rule.hide && rule.hide.length) parts.push('hide=' + rule.hide.join(', '));
  if (rule.delay_ms != null) parts.push(`delay=${rule.delay_ms}ms`);
  if (rule.viewport) parts.push(`viewport=${rule.viewport.width}x${rule.viewport.height}`);
  if (rule.user_agent) parts.push('user_agent=' + rule.user_agent);
  if (rule.scroll != null) parts.push('scroll=' + (rule.scroll ? w('on') : w('off')));
  if (rule.hide_consent != null) parts.push('hide_consent=' + (rule.hide_consent ? w('on') : w('off')));
  return parts.join(' · ');
}

export async function pageSites(main, ctx) {
  const match = h('input', { name: 'match', required: true, placeholder: w('match_ph'), autocomplete: 'off' });
  const cookies = h('textarea', { name: 'cookies', rows: 2, autocomplete: 'off', spellcheck: 'false' });
  const headers = h('textarea', { name: 'headers', rows: 2, autocomplete: 'off', spellcheck: 'false' });
  const waitFor = h('input', { name: 'wait_for' });
  const hide = h('input', { name: 'hide' });
  const delay = h('input', { name: 'delay_ms', type: 'number', min: 0, max: 60000 });
  const scroll = h('input', { type: 'checkbox', id: 's-scroll', checked: true });
  const consent = h('input', { type: 'checkbox', id: 's-consent', checked: true });
  const form = h('form', { class: 'panel site-form' }, h('h3', {}, w('form')),
    field('s-match', w('match'), match), field('s-cookies', w('cookies'), cookies),
    field('s-headers', w('headers'), headers), field('s-wait', w('wait_for'), waitFor),
    field('s-hide', w('hide'), hide), field('s-delay', w('delay'), delay),
    h('div', { class: 'row wrap' }, h('label', {}, scroll, ' ', w('scroll')), h('label', {}, consent, ' ', w('consent'))),
    h('button', { type: 'submit' }, w('save')));
  const body = h('tbody');
  const table = h('table', { class: 'sites' }, h('thead', {}, h('tr', {},
    h('th', { scope: 'col' }, w('match')), h('th', { scope: 'col' }, w('kind')),
    h('th', { scope: 'col' }, w('settings')), h('th', { scope: 'col' }, w('actions')))), body);
  const empty = h('p', { class: 'muted', hidden: true }, w('none'));
  const defaults = h('p', { class: 'muted' });
  const impMatch = h('input', { name: 'import_match', required: true, placeholder: w('match_ph') });
  const impFile = h('input', { type: 'file', name: 'cookies_txt', accept: '.txt,text/plain' });
  const impForm = h('form', { class: 'row wrap import-cookies' },
    h('label', { for: 's-imp-match' }, w('import')), Object.assign(impMatch, { id: 's-imp-match' }), impFile,
    h('button', { type: 'submit' }, w('import_btn')));

  async function load() {
    const r = await rpc('site.list');
    body.replaceChildren(...r.rules.map((rule) => h('tr', { dataset: { match: rule.match } },
      h('td', {}, h('code', {}, rule.match)), h('td', {}, rule.kind), h('td', {}, describe(rule)),
      h('td', {}, h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm(w('confirm', { m: rule.match }))) return;
        try { await rpc('site.delete', { match: rule.match }); } catch (e) { toast(w('error', { m: e.message }), 'error'); }
        await load();
      } }, w('del'))))));
    empty.hidden = r.rules.length > 0;
    defaults.textContent = w('defaults', { c: r.defaults.hide_consent ? w('on') : w('off'), r: r.defaults.blocked_retries });
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const p = { match: match.value.trim(), scroll: scroll.checked, hide_consent: consent.checked };
    const ck = cookies.value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const i = l.indexOf('=');
      return { name: l.slice(0, i).trim(), value: l.slice(i + 1).trim() };
    });
    if (ck.length) p.cookies = ck;
    const hd = {};
    for (const l of headers.value.split('\n').map((x) => x.trim()).filter(Boolean)) {
      const i = l.indexOf(':');
      hd[l.slice(0, i).trim()] = l.slice(i + 1).trim();
    }
    if (Object.keys(hd).length) p.headers = hd;
    if (waitFor.value.trim()) p.wait_for = waitFor.value.trim();
    const hs = hide.value.split(',').map((x) => x.trim()).filter(Boolean);
    if (hs.length) p.hide = hs;
    if (delay.value !== '') p.delay_ms = Number(delay.value);
    try {
      const r = await rpc('site.set', p);
      cookies.value = '';
      headers.value = '';
      announce(w('saved', { m: r.rule.match }));
      toast(w('saved', { m: r.rule.match }));
    } catch (err) {
      toast(w('error', { m: err.message }), 'error');
    }
    await load();
  });

  impForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = impFile.files && impFile.files[0];
    if (!f || !impMatch.value.trim()) return;
    try {
      const r = await rpc('site.import_cookies', { match: impMatch.value.trim(), text: await f.text() });
      toast(w('imported', { n: r.imported, e: r.error_count }));
    } catch (err) {
      toast(w('error', { m: err.message }), 'error');
    }
    await load();
  });

  main.append(h('section', { class: 'panel' }, h('h2', {}, w('heading')), h('p', { class: 'muted' }, w('intro')),
    defaults, table, empty, impForm), form);
  ctx.on('site', () => load());
  await load();
}
