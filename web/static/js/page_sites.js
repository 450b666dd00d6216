// page_sites.js -- 站点规则 / Site rules: how captures of a host, host:port or URL prefix are
// made (cookies, headers, a selector to wait for, selectors to hide, delay, scrolling,
// consent hiding). The list shows cookie and header names only: linksnapd never sends their
// values back. Edit fills the form with a rule's settings; its cookies and headers read
// "unchanged" until a new value is typed, and saving sends only what changed (site.set
// merges), so an edit never drops a secret. A Netscape cookies.txt can be imported into a
// rule. Its words live here, not in i18n.js, so this page stays one file.
import { h, announce, toast } from './dom.js';
import { lang, tErr } from './i18n.js';
import { rpc } from './api.js';

const words = {
  zh: {
    heading: '站点规则', intro: '匹配主机、主机:端口或网址前缀；保存已有的匹配只修改填写的设置。Cookie 和请求头的值保存后不再显示。',
    match: '匹配', match_ph: 'example.com 或 https://example.com/members', cookies: 'Cookie（每行 名称=值）',
    headers: '请求头（每行 名称: 值）', wait_for: '等待出现的选择器', hide: '隐藏的选择器（逗号分隔）',
    delay: '截图前等待 (ms)', form: '添加规则', scroll: '滚动加载懒加载内容', consent: '隐藏 Cookie 同意横幅', save: '保存规则',
    saved: '已保存 {m}', none: '还没有站点规则', kind: '类型', settings: '设置', actions: '操作', del: '删除',
    confirm: '删除 {m} 的规则？', import: '导入 cookies.txt 到', import_btn: '导入', imported: '已导入 {n} 个 Cookie，{e} 行无效',
    defaults: '全局默认：隐藏同意横幅 {c}，被拦截后重试 {r} 次', on: '开', off: '关', error: '出错了：{m}',
    edit: '编辑', editing: '编辑 {m} 的规则', unchanged: '不变（输入新值替换）', remove: '移除',
    secrets: '已保存的 Cookie 和请求头（值不显示）', add_cookies: '新增 Cookie（每行 名称=值）',
    add_headers: '新增请求头（每行 名称: 值）', cancel: '取消编辑', nochange: '没有改动',
  },
  en: {
    heading: 'Site rules', intro: 'Match a host, host:port or URL prefix; saving a match that has a rule changes only the settings given. Cookie and header values are never shown again once saved.',
    match: 'Match', match_ph: 'example.com or https://example.com/members', cookies: 'Cookies (one NAME=VALUE per line)',
    headers: 'Headers (one Name: value per line)', wait_for: 'Wait for selector', hide: 'Hide selectors (comma separated)',
    delay: 'Delay before the shot (ms)', form: 'Add a rule', scroll: 'Scroll to load lazy content', consent: 'Hide cookie consent banners', save: 'Save rule',
    saved: 'Saved {m}', none: 'No site rules yet', kind: 'Kind', settings: 'Settings', actions: 'Actions', del: 'Delete',
    confirm: 'Delete the rule for {m}?', import: 'Import cookies.txt into', import_btn: 'Import', imported: '{n} cookies imported, {e} bad lines',
    defaults: 'Defaults: hide consent banners {c}, retries after a block {r}', on: 'on', off: 'off', error: 'Something failed: {m}',
    edit: 'Edit', editing: 'Edit the rule for {m}', unchanged: 'unchanged (type a new value to replace it)', remove: 'remove',
    secrets: 'Saved cookies and headers (values not shown)', add_cookies: 'Add cookies (one NAME=VALUE per line)',
    add_headers: 'Add headers (one Name: value per line)', cancel: 'Cancel edit', nochange: 'Nothing changed',
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

// "NAME=VALUE" lines -> cookies, "Name: value" lines -> {name: value}
function parseCookies(text) {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const i = l.indexOf('=');
    return { name: l.slice(0, i).trim(), value: l.slice(i + 1).trim() };
  });
}
function parseHeaders(text, into) {
  for (const l of text.split('\n').map((x) => x.trim()).filter(Boolean)) {
    const i = l.indexOf(':');
    into[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  return into;
}

// One saved secret in the edit form: its name, an empty value field reading "unchanged",
// and a box to remove it. change() is what site.set should get for it, or null.
function secretRow(label, make) {
  const value = h('input', { type: 'text', class: 'secret', autocomplete: 'off', spellcheck: 'false',
    placeholder: w('unchanged'), 'aria-label': `${label}: ${w('unchanged')}` });
  const drop = h('input', { type: 'checkbox', class: 'drop' });
  const row = h('div', { class: 'row secret-row' }, h('code', {}, label), value,
    h('label', { class: 'check' }, drop, ' ', w('remove')));
  row.change = () => (drop.checked ? make(null) : value.value !== '' ? make(value.value) : null);
  return row;
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
  const title = h('h3', {}, w('form'));
  const secrets = h('fieldset', { class: 'secrets', hidden: true });
  const cancel = h('button', { type: 'button', class: 'ghost', hidden: true, onclick: () => stopEdit() }, w('cancel'));
  const cookiesField = field('s-cookies', w('cookies'), cookies);
  const headersField = field('s-headers', w('headers'), headers);
  const form = h('form', { class: 'panel site-form' }, title,
    field('s-match', w('match'), match), secrets, cookiesField, headersField,
    field('s-wait', w('wait_for'), waitFor), field('s-hide', w('hide'), hide), field('s-delay', w('delay'), delay),
    h('div', { class: 'row wrap' }, h('label', {}, scroll, ' ', w('scroll')), h('label', {}, consent, ' ', w('consent'))),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, w('save')), cancel));
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
  let dflt = { hide_consent: true };
  let editing = null;   // {rule, consent: what the box showed, rows: secret rows}

  function setLabels(add) {
    cookiesField.querySelector('label').textContent = add ? w('add_cookies') : w('cookies');
    headersField.querySelector('label').textContent = add ? w('add_headers') : w('headers');
  }

  function startEdit(rule) {
    const rows = [
      ...(rule.cookies || []).map((c) => secretRow(`${c.name} (${c.domain}${c.path || '/'})`, (value) => {
        const out = { name: c.name, value };
        for (const k of ['domain', 'path', 'secure', 'http_only', 'expires', 'same_site']) if (k in c) out[k] = c[k];
        return ['cookie', out];
      })),
      ...Object.keys(rule.headers || {}).map((n) => secretRow(n + ':', (value) => ['header', n, value])),
    ];
    const shown = rule.hide_consent ?? dflt.hide_consent;
    editing = { rule, consent: shown, rows };
    match.value = rule.match;
    match.readOnly = true;
    waitFor.value = rule.wait_for || '';
    hide.value = (rule.hide || []).join(', ');
    delay.value = rule.delay_ms ?? '';
    scroll.checked = rule.scroll !== false;
    consent.checked = shown;
    cookies.value = '';
    headers.value = '';
    secrets.replaceChildren(h('legend', {}, w('secrets')), ...rows);
    secrets.hidden = rows.length === 0;
    title.textContent = w('editing', { m: rule.match });
    cancel.hidden = false;
    setLabels(true);
    form.scrollIntoView({ block: 'start' });
    (rows.length ? rows[0].querySelector('input') : waitFor).focus({ preventScroll: true });
  }

  // back to adding: after an edit the form is emptied, after an add only the secrets
  function stopEdit() {
    if (editing) {
      for (const el of [match, waitFor, hide, delay]) el.value = '';
      scroll.checked = true;
      consent.checked = true;
    }
    editing = null;
    cookies.value = '';
    headers.value = '';
    match.readOnly = false;
    secrets.replaceChildren();
    secrets.hidden = true;
    title.textContent = w('form');
    cancel.hidden = true;
    setLabels(false);
  }

  // What site.set gets from the form: everything for a new rule; for an edit only the
  // settings that differ from the rule (a cleared one as null) and the secrets typed.
  function paramsOf() {
    const p = { match: match.value.trim() };
    const wf = waitFor.value.trim();
    const hs = hide.value.split(',').map((x) => x.trim()).filter(Boolean);
    const d = delay.value === '' ? null : Number(delay.value);
    const ck = parseCookies(cookies.value);
    const hd = parseHeaders(headers.value, {});
    if (!editing) {
      p.scroll = scroll.checked;
      p.hide_consent = consent.checked;
      if (wf) p.wait_for = wf;
      if (hs.length) p.hide = hs;
      if (d != null) p.delay_ms = d;
    } else {
      const r = editing.rule;
      if (wf !== (r.wait_for || '')) p.wait_for = wf || null;
      if (hs.join('\n') !== (r.hide || []).join('\n')) p.hide = hs.length ? hs : null;
      if (d !== (r.delay_ms ?? null)) p.delay_ms = d;
      if (scroll.checked !== (r.scroll !== false)) p.scroll = scroll.checked;
      if (consent.checked !== editing.consent) p.hide_consent = consent.checked;
      for (const row of editing.rows) {
        const c = row.change();
        if (c && c[0] === 'cookie') ck.push(c[1]);
        else if (c) hd[c[1]] = c[2];
      }
    }
    if (ck.length) p.cookies = ck;
    if (Object.keys(hd).length) p.headers = hd;
    return p;
  }

  async function load() {
    const r = await rpc('site.list');
    dflt = r.defaults;
    body.replaceChildren(...r.rules.map((rule) => h('tr', { dataset: { match: rule.match } },
      h('td', {}, h('code', {}, rule.match)), h('td', {}, rule.kind), h('td', {}, describe(rule)),
      h('td', {}, h('button', { type: 'button', class: 'edit', onclick: () => startEdit(rule) }, w('edit')), ' ',
        h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!confirm(w('confirm', { m: rule.match }))) return;
          try { await rpc('site.delete', { match: rule.match }); } catch (e) { toast(w('error', { m: tErr(e) }), 'error'); }
          if (editing && editing.rule.match === rule.match) stopEdit();
          await load();
        } }, w('del'))))));
    empty.hidden = r.rules.length > 0;
    defaults.textContent = w('defaults', { c: r.defaults.hide_consent ? w('on') : w('off'), r: r.defaults.blocked_retries });
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const p = paramsOf();
    if (editing && Object.keys(p).length === 1) {
      toast(w('nochange'));
      return;
    }
    try {
      const r = await rpc('site.set', p);
      stopEdit();
      announce(w('saved', { m: r.rule.match }));
      toast(w('saved', { m: r.rule.match }));
    } catch (err) {
      toast(w('error', { m: tErr(err) }), 'error');
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
      toast(w('error', { m: tErr(err) }), 'error');
    }
    await load();
  });

  main.append(h('section', { class: 'panel' }, h('h2', {}, w('heading')), h('p', { class: 'muted' }, w('intro')),
    defaults, table, empty, impForm), form);
  ctx.on('site', () => load());
  await load();
}
