// page_detail.js -- one link: the full-page screenshot in lazily loaded tiles (a 30,000 px
// capture is never decoded at once), the shown snapshot's downloads (PNG, MHTML, PDF, text)
// and reader view, snapshot history, edit title, description and tags, re-capture, open
// the original, delete.
import { h, announce, safeHref, shownUrl, splitTags, toast } from './dom.js';
import { t, fmtBytes, fmtDate } from './i18n.js';
import { isMissing, rpc } from './api.js';
import { badge, tagField } from './widgets.js';
import { changeCell } from './page_changes.js';

async function shotView(snap) {
  const box = h('div', { class: 'shot', 'aria-label': t('detail_shot'), role: 'img' });
  if (!snap || !snap.path || !(snap.state === 'ok' || snap.state === 'partial')) {
    box.append(h('p', { class: 'muted' }, t('detail_noshot')));
    return box;
  }
  try {
    const res = await fetch(`/snapshots/${snap.id}/tiles.json`, { credentials: 'same-origin' });
    if (!res.ok) throw new Error((await res.json()).error.message);
    const meta = await res.json();
    for (let i = 0; i < meta.count; i++) {
      const rows = Math.min(meta.tile_height, meta.height - i * meta.tile_height);
      box.append(h('img', { class: 'tile', src: `/snapshots/${snap.id}/tile/${i}.png`, alt: '',
        width: meta.width, height: rows, loading: i < 2 ? 'eager' : 'lazy', decoding: 'async' }));
    }
  } catch (e) {
    box.append(h('p', { class: 'muted' }, t('error', { m: e.message })));
  }
  return box;
}

// What the snapshot kept, each format as a download link with its size (the daemon sends
// them as attachments), and the reader view when it kept the page's text.
function downloadsView(snap) {
  const f = (snap && snap.files) || {};
  const base = snap ? `/snapshots/${snap.id}` : '';
  const item = (kind, href, label, hint) => (f[kind]
    ? h('li', { dataset: { format: kind } },
      h('a', { href, download: '' }, label),
      typeof f[kind].bytes === 'number' ? h('span', { class: 'muted' }, ' · ', fmtBytes(f[kind].bytes)) : null,
      hint ? h('span', { class: 'muted' }, ' · ', hint) : null)
    : null);
  const items = [
    item('png', `${base}/full.png?download=1`, t('dl_png')),
    item('mhtml', `${base}/page.mhtml`, t('dl_mhtml'), t('dl_mhtml_hint')),
    item('pdf', `${base}/page.pdf`, t('dl_pdf')),
    item('text', `${base}/text.txt`, t('dl_text')),
  ].filter(Boolean);
  if (!items.length) return null;
  return h('section', { class: 'panel downloads', 'aria-labelledby': 'dl-h' },
    h('h3', { id: 'dl-h' }, t('detail_downloads')),
    f.text ? h('p', {}, h('a', { href: `/read/${snap.id}`, class: 'button reader-link' }, t('detail_read'))) : null,
    h('ul', { class: 'files' }, items));
}

// What shaped the picture (the snapshot's fidelity record), as a short line.
function shapedBy(f) {
  if (!f) return '';
  const parts = [];
  if (f.rule) parts.push(t('fid_rule', { m: f.rule }));
  const c = f.consent;
  if (c && c.layers && c.layers.length) {
    parts.push(t('fid_consent', { m: [...c.layers, ...(c.managers || [])].join(', '), n: (c.hidden || []).length }));
  }
  if (f.hidden_by_rule && f.hidden_by_rule.length) parts.push(t('fid_hide', { m: f.hidden_by_rule.join(', ') }));
  if (f.wall) parts.push(t('fid_wall', { m: f.wall }));
  if (f.wait_for) parts.push(t('fid_wait', { m: f.wait_for }));
  return parts.join('; ');
}

function historyTable(snaps, onPick) {
  const timings = (x) => (x ? ['navigate_ms', 'wait_ms', 'capture_ms', 'encode_ms'].map((k) => x[k] ?? '–').join(' / ') : '');
  return h('table', { class: 'history' },
    h('thead', {}, h('tr', {}, ['h_when', 'h_state', 'h_change', 'h_http', 'h_size', 'h_final', 'h_timings', 'h_shaped', 'h_error'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, snaps.map((s) => h('tr', { dataset: { snapshotId: String(s.id) } },
      h('td', {}, h('button', { type: 'button', class: 'linkish', onclick: () => onPick(s) }, fmtDate(s.created_at))),
      h('td', {}, badge(s.state, s.http_status)),
      h('td', { class: 'change' }, changeCell(s)),
      h('td', {}, s.http_status ?? ''),
      h('td', {}, s.width && s.height ? `${s.width}×${s.height}${s.truncated ? ' ✂' : ''}` : ''),
      h('td', { class: 'url' }, s.display_final_url ?? s.final_url ?? ''),
      h('td', {}, timings(s.timings)),
      h('td', { class: 'shaped' }, shapedBy(s.fidelity)),
      h('td', { class: 'err' }, s.error ?? '')))));
}

export async function pageDetail(main, ctx, id) {
  id = Number(id);
  let link;
  try {
    link = (await rpc('link.get', { id })).link;
  } catch (e) {
    main.append(h('p', { class: 'error' }, e.code === -32001 ? t('not_found') : t('error', { m: e.message })),
      h('a', { href: '/links' }, t('detail_back')));
    return;
  }
  const shotBox = h('div', { class: 'shot-wrap' });
  const dlBox = h('div', { class: 'downloads-wrap' });
  const histBox = h('section', { class: 'panel', 'aria-labelledby': 'hist-h' }, h('h3', { id: 'hist-h' }, t('detail_history')));
  const title = h('input', { id: 'd-title', name: 'title', value: link.title ?? '' });
  const desc = h('textarea', { id: 'd-desc', name: 'description', rows: 3 });
  desc.value = link.description ?? '';
  const chips = h('div', { class: 'chips', id: 'd-tags' });
  const tf = tagField({ id: 'd-newtag', name: 'tags', placeholder: t('detail_add_tag') });
  const heading = h('h2', { class: 'detail-title' });
  const href = safeHref(link.url);

  function paintTags() {
    chips.replaceChildren(...link.tags.map((n) => h('span', { class: 'chip', dataset: { tag: n } },
      h('a', { href: '/links?all=' + encodeURIComponent(n) }, n),
      h('button', { type: 'button', class: 'x', 'aria-label': t('detail_remove_tag', { t: n }),
        onclick: async () => { link = (await rpc('link.tag', { id, remove: [n] })).link; paintTags(); } }, '✕'))));
    heading.textContent = link.title || shownUrl(link);
    document.title = `${heading.textContent} · linksnap`;
  }

  async function paintShots(pick) {
    let snaps = link.last_snapshot ? [link.last_snapshot] : [];
    try { snaps = (await rpc('snapshot.list', { link_id: id })).snapshots; } catch (e) { if (!isMissing(e)) throw e; }
    const current = pick || snaps.find((s) => s.state === 'ok' || s.state === 'partial') || snaps[0];
    shotBox.replaceChildren(await shotView(current));
    dlBox.replaceChildren(...[downloadsView(current)].filter(Boolean));
    histBox.replaceChildren(histBox.firstChild, snaps.length ? historyTable(snaps, (s) => paintShots(s)) : h('p', { class: 'muted' }, t('st_none')));
  }

  const form = h('form', { class: 'panel edit' },
    h('label', { for: 'd-title' }, t('detail_title')), title,
    h('label', { for: 'd-desc' }, t('detail_desc')), desc,
    h('button', { type: 'submit', class: 'primary' }, t('detail_save')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      link = (await rpc('link.update', { id, title: title.value, description: desc.value })).link;
      paintTags();
      toast(t('detail_saved'));
      announce(t('detail_saved'));
    } catch (err) { toast(t('error', { m: err.message }), 'error'); }
  });
  const tagForm = h('form', { class: 'row' }, tf.input, tf.list, h('button', { type: 'submit' }, t('detail_add_tag')));
  tagForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const add = splitTags(tf.input.value);
    if (!add.length) return;
    try {
      link = (await rpc('link.tag', { id, add })).link;
      tf.input.value = '';
      paintTags();
    } catch (err) { toast(t('error', { m: err.message }), 'error'); }
  });

  const actions = h('div', { class: 'row wrap actions' },
    h('a', { href: '/links', class: 'button ghost' }, '← ', t('detail_back')),
    href ? h('a', { href, class: 'button', target: '_blank', rel: 'noopener noreferrer' }, t('detail_open')) : null,
    h('button', { type: 'button', onclick: async () => {
      try { await rpc('snapshot.request', { link_id: id }); toast(t('st_queued')); } catch (e) { toast(isMissing(e) ? t('recapture_missing') : t('error', { m: e.message }), 'error'); }
    } }, t('detail_recapture')),
    h('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!confirm(t('confirm_delete', { n: 1 }))) return;
      await rpc('link.delete', { id });
      history.pushState(null, '', '/links');
      dispatchEvent(new PopStateEvent('popstate'));
    } }, t('detail_delete')));

  main.append(
    h('div', { class: 'detail', dataset: { linkId: String(id) } },
      h('div', { class: 'detail-head' }, heading, h('p', { class: 'url', title: link.url }, shownUrl(link)), actions),
      h('div', { class: 'detail-cols' },
        shotBox,
        h('aside', {},
          dlBox,
          form,
          h('section', { class: 'panel' }, h('h3', {}, t('detail_tags')), chips, tagForm))),
      histBox));
  paintTags();
  paintShots();
  ctx.on('job', (ev) => { if (Number(ev.link_id) === id) rpc('link.get', { id }).then((r) => { link = r.link; paintShots(); }); });
  ctx.on('link.updated', (ev) => { if (ev.link && ev.link.id === id) { link = ev.link; paintTags(); } });
}
