// page_import.js -- 导入 / Import: upload a bookmarks/CSV/JSONL/JSON/text file (POST /import
// spools it in the state dir and starts import.start), tags to add, live progress from
// the import events, then the summary with the invalid lines.
import { h, announce, splitTags } from './dom.js';
import { t, tErr, tErrNode } from './i18n.js';
import { rpc } from './api.js';
import { tagField } from './widgets.js';

export function pageImport(main, ctx) {
  const file = h('input', { type: 'file', id: 'i-file', name: 'file', accept: '.html,.htm,.csv,.jsonl,.json,.txt,text/*,application/json' });
  const format = h('select', { id: 'i-format', name: 'format' },
    ['auto', 'netscape', 'csv', 'jsonl', 'json', 'text'].map((f) => h('option', { value: f }, f === 'auto' ? t('fmt_auto') : f)));
  const tf = tagField({ id: 'i-tags', name: 'tags' });
  const capture = h('input', { type: 'checkbox', id: 'i-capture', checked: true });
  const status = h('p', { class: 'form-status', role: 'status' });
  const progress = h('progress', { max: 1, value: 0, hidden: true, 'aria-label': t('import_running') });
  const summary = h('section', { class: 'panel summary', hidden: true, 'aria-live': 'polite' });
  let importId = null;
  let finished = false;

  function figures(x) {
    return h('dl', { class: 'figures' }, [['i_lines', x.lines], ['i_added', x.added], ['i_existing', x.existing], ['i_invalid', x.invalid]]
      .map(([k, v]) => h('div', { dataset: { figure: k.slice(2) } }, h('dt', {}, t(k)), h('dd', {}, v ?? 0))));
  }

  async function finish() {
    if (finished) return;
    finished = true;
    const imp = await rpc('import.get', { id: importId });
    progress.hidden = true;
    status.textContent = '';
    summary.hidden = false;
    summary.replaceChildren(
      h('h3', {}, imp.state === 'done' ? t('import_done') : t('import_failed')),
      figures(imp),
      imp.error ? h('p', { class: 'error' }, tErrNode({ message: imp.error, data: imp.error_data })) : null,
      imp.errors && imp.errors.length ? h('table', { class: 'invalid' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('i_line')), h('th', { scope: 'col' }, t('i_reason')))),
        h('tbody', {}, imp.errors.map((e) => h('tr', {}, h('td', { class: 'num' }, e.line), h('td', { class: 'reason', dataset: { code: e.code || '' } }, tErrNode(e)))))) : null,
      h('p', {}, h('a', { href: '/links' }, t('nav_links'), ' →')));
    announce(imp.state === 'done' ? t('import_done') : t('import_failed'));
  }

  ctx.on('import', (ev) => {
    if (importId == null || ev.id !== importId) return;
    if (ev.topic === 'import.finished') { finish(); return; }
    progress.hidden = false;
    status.replaceChildren(t('import_running'), ' ', figures(ev));
  });

  const form = h('form', { class: 'panel' },
    h('h2', {}, t('import_heading')),
    h('label', { for: 'i-file' }, t('import_file')), file,
    h('label', { for: 'i-format' }, t('import_format')), format,
    h('label', { for: 'i-tags' }, t('import_tags')), tf.input, tf.list,
    h('div', { class: 'row' }, h('label', { class: 'check' }, capture, ' ', t('import_capture')),
      h('button', { type: 'submit', class: 'primary' }, t('import_submit'))),
    progress, status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = file.files[0];
    if (!f) { status.textContent = t('import_pick'); file.focus(); return; }
    summary.hidden = true;
    const q = new URLSearchParams({ format: format.value, capture: capture.checked ? '1' : '0' });
    const tags = splitTags(tf.input.value);
    if (tags.length) q.set('tags', tags.join(','));
    status.textContent = t('import_running');
    progress.hidden = false;
    progress.removeAttribute('value');
    const res = await fetch('/import?' + q.toString(), { method: 'POST', body: f, credentials: 'same-origin',
      headers: { 'Content-Type': 'application/octet-stream' } });
    const doc = await res.json().catch(() => ({}));
    if (!res.ok) {
      progress.hidden = true;
      status.textContent = t('error', { m: doc.error ? tErr(doc.error) : res.statusText });
      return;
    }
    importId = doc.import_id;
    finished = false;
    // the import may have finished before its events could reach us
    const now = await rpc('import.get', { id: importId });
    if (now.state !== 'running') finish();
  });
  main.append(form, summary);
}
