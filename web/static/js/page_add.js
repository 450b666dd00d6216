// page_add.js -- 添加链接 / Add: one or many URLs, tags with completion, capture now; each
// added link then shows its capture progress live and its thumbnail when it is done. The
// bookmarklet offered here opens this form as /#add?url=...&title=... with the page it was
// clicked on filled in.
import { h, announce, splitTags, toast } from './dom.js';
import { t, tErr, tErrNode } from './i18n.js';
import { batchAll, rpc } from './api.js';
import { linkCard, tagField } from './widgets.js';

// The bookmarklet: a new tab at this page's address with the current page's URL and title.
// Plain DOM calls only: it runs on someone else's page.
function bookmarklet() {
  const base = location.origin + '/#add?url=';
  return 'javascript:(function(){window.open(' + JSON.stringify(base) + '+encodeURIComponent(location.href)' +
    "+'&title='+encodeURIComponent(document.title),'_blank','noopener');})();";
}

// {url, title} from /#add?url=...&title=... (the bookmarklet), or null.
function fromHash() {
  if (!location.hash.startsWith('#add?')) return null;
  const q = new URLSearchParams(location.hash.slice(5));
  return { url: q.get('url') || '', title: q.get('title') || '' };
}

export function pageAdd(main, ctx) {
  const given = fromHash();
  const urls = h('textarea', { id: 'add-url', name: 'url', rows: 4, required: true, placeholder: t('add_urls_ph'),
    spellcheck: 'false', autocapitalize: 'off' });
  const tf = tagField({ id: 'add-tags', name: 'tags', placeholder: t('add_tags_ph') });
  const title = h('input', { type: 'text', id: 'add-title', name: 'title', autocomplete: 'off' });
  const capture = h('input', { type: 'checkbox', id: 'add-capture', name: 'capture', checked: true });
  const status = h('p', { class: 'form-status', role: 'status' });
  const results = h('div', { class: 'grid results', 'aria-live': 'polite' });
  const resultsBox = h('section', { class: 'results-box', hidden: true, 'aria-labelledby': 'res-h' },
    h('h3', { id: 'res-h' }, t('add_result')), results);
  const shown = new Map();   // link id -> card

  // What link.add did with a saved link: a capture queued (job_created), one already on
  // its way (job_id), none because it has a good snapshot (capture asked), or nothing asked.
  function addNote(r, asked) {
    if (r.created) return t('add_added');
    if (r.job_created) return t('add_exists_queued');
    if (r.job_id) return t('add_exists_running');
    return asked ? t('add_exists_good') : t('add_exists');
  }

  function show(link, created, text) {
    const card = linkCard(link);
    const note = h('p', { class: created ? 'note ok' : 'note dup' }, text, ' ',
      created ? null : h('a', { href: `/links/${link.id}` }, t('add_open')));
    card.querySelector('.body').append(note);
    const old = shown.get(link.id);
    if (old) old.replaceWith(card); else results.prepend(card);
    shown.set(link.id, card);
    resultsBox.hidden = false;
  }

  async function refresh(id) {
    const card = shown.get(id);
    if (!card) return;
    try {
      const { link } = await rpc('link.get', { id });
      const note = card.querySelector('.note');
      const fresh = linkCard(link);
      if (note) fresh.querySelector('.body').append(note);
      card.replaceWith(fresh);
      shown.set(id, fresh);
    } catch { /* deleted meanwhile */ }
  }

  ctx.on('job', (ev) => { if (shown.has(ev.link_id)) refresh(ev.link_id); });
  ctx.on('snapshot', (ev) => { const id = ev.link_id ?? ev.snapshot?.link_id; if (shown.has(id)) refresh(id); });
  ctx.on('link.updated', (ev) => { if (ev.link && shown.has(ev.link.id)) refresh(ev.link.id); });

  const form = h('form', { class: 'panel add-form', novalidate: true },
    h('h2', {}, t('add_heading')),
    h('label', { for: 'add-url' }, t('add_urls')), urls,
    h('label', { for: 'add-title' }, t('add_title')), title,
    h('label', { for: 'add-tags' }, t('add_tags')), tf.input, tf.list,
    h('div', { class: 'row' },
      h('label', { class: 'check' }, capture, ' ', t('add_capture')),
      h('button', { type: 'submit', class: 'primary' }, t('add_submit'))),
    status);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const list = urls.value.split(/\s*\n\s*/).map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) {
      status.textContent = t('add_none');
      urls.focus();
      return;
    }
    const tags = splitTags(tf.input.value);
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    status.textContent = t('loading');
    try {
      // a title names one page: it goes with a single link only
      const named = list.length === 1 && title.value.trim() ? { title: title.value.trim() } : {};
      const replies = await batchAll(list.map((url) => ['link.add', { url, tags, capture: capture.checked, ...named }]));
      const errors = [];
      let added = 0;
      replies.forEach((r, i) => {
        if (r && r.result) { show(r.result.link, r.result.created, addNote(r.result, capture.checked)); added++; }
        else errors.push([list[i], r ? r.error : null]);
      });
      // "添加失败 — URL: why; URL: why": the URLs as typed set apart, the reasons translated
      status.replaceChildren(...(errors.length ? [t('add_failed'), ' — ', ...errors.flatMap(([u, err], k) =>
        [k ? '; ' : '', h('bdi', { class: 'add-error-url', dataset: { user: '' } }, u), ': ',
          err ? tErrNode(err) : '?'])] : []));
      status.className = 'form-status' + (errors.length ? ' error' : '');
      if (!errors.length) { urls.value = ''; title.value = ''; }
      announce(t('done_n', { n: added }));
    } catch (err) {
      status.textContent = t('error', { m: tErr(err) });
      status.className = 'form-status error';
    } finally {
      btn.disabled = false;
    }
  });

  const bm = h('a', { class: 'button bookmarklet', id: 'bookmarklet', href: bookmarklet(), draggable: 'true',
    onclick: (e) => { e.preventDefault(); toast(t('bm_click')); } }, t('bm_link'));
  const bmBox = h('section', { class: 'panel bm-box', 'aria-labelledby': 'bm-h' },
    h('h3', { id: 'bm-h' }, t('bm_heading')), h('p', { class: 'muted' }, t('bm_hint')), bm);

  main.append(form, resultsBox, bmBox);
  if (given) {
    urls.value = given.url;
    title.value = given.title;
    tf.input.focus();
  } else {
    urls.focus();
  }
}
