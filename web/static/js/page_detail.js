// page_detail.js -- one link: the full-page screenshot in lazily loaded tiles (a 30,000 px
// capture is never decoded at once) that opens in the full-size viewer (viewer.js), the
// shown snapshot's downloads (PNG, MHTML, PDF, text) and reader view, snapshot history
// (times to the second, the shown one marked), edit title, description and tags,
// re-capture, open the original, delete. On a phone the CSS puts the editing above the shot.
import { h, announce, safeHref, shownUrl, splitTags, toast } from './dom.js';
import { t, lang, fmtBytes, tErr } from './i18n.js';
import { isMissing, rpc } from './api.js';
import { badge, reasonsOf, tagField } from './widgets.js';
import { changeCell } from './page_changes.js';
import { viewerCssWidth, viewerIsPhone, viewerOpen, viewerTileMeta, viewerTileStrip } from './viewer.js';

// The shot in the page, in tiles that load as they come into view, with a button to the
// full-size viewer (a click on the shot opens it too) and, on a phone, a toggle between
// 100% of the shot's CSS width (scrolled sideways; the default there) and fit width.
// Returns {el, stop}; stop() ends the tile loading when the shot is replaced.
async function shotView(snap) {
  const box = h('div', { class: 'shot', 'aria-label': t('detail_shot'), role: 'group' });
  if (!snap || !snap.path || !(snap.state === 'ok' || snap.state === 'partial')) {
    box.append(h('p', { class: 'muted' }, t('detail_noshot')));
    return { el: box, stop: () => {} };
  }
  let meta;
  try {
    meta = await viewerTileMeta(snap);
  } catch (e) {
    box.append(h('p', { class: 'muted' }, t('error', { m: tErr(e) })));
    return { el: box, stop: () => {} };
  }
  const tiles = viewerTileStrip(snap, meta, null);
  const cssW = viewerCssWidth(snap, meta);
  const open = h('button', { type: 'button', class: 'shot-open', onclick: () => viewerOpen(snap, meta, { opener: open }) }, t('v_open'));
  const fitBtn = h('button', { type: 'button', class: 'shot-fit', 'aria-pressed': 'false' }, t('v_fit'));
  const scroller = h('div', { class: 'shot-scroll' }, tiles.el);
  tiles.el.style.setProperty('--shot-w', `${cssW}px`);
  const setFit = (fit) => {
    box.classList.toggle('fit', fit);
    box.classList.toggle('actual', !fit);
    fitBtn.setAttribute('aria-pressed', String(fit));
  };
  fitBtn.addEventListener('click', () => setFit(!box.classList.contains('fit')));
  tiles.el.addEventListener('click', () => viewerOpen(snap, meta, { opener: open }));
  setFit(!viewerIsPhone());
  box.append(h('div', { class: 'row wrap shot-bar' }, open, fitBtn), scroller);
  return { el: box, stop: tiles.stop };
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

// A capture's time to the second in the user's time zone (two captures a minute apart
// must read apart), with the zone's name in the tooltip. One formatter per language.
const secondFormats = {};
function fmtSecond(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return h('span', {}, '');
  secondFormats[lang] ||= new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const f = secondFormats[lang];
  return h('time', { datetime: d.toISOString(), title: f.resolvedOptions().timeZone }, f.format(d));
}

// The captures of the link, newest first; the one shown is marked (aria-current). On a
// phone the CSS turns each row into a card, each cell labelled by its column (data-label).
function historyTable(snaps, shown, onPick) {
  const timings = (x) => (x ? ['navigate_ms', 'wait_ms', 'capture_ms', 'encode_ms'].map((k) => x[k] ?? '–').join(' / ') : '');
  const cols = ['h_when', 'h_state', 'h_change', 'h_http', 'h_size', 'h_final', 'h_timings', 'h_shaped', 'h_error'];
  const cell = (i, props, ...kids) => h('td', { ...props, 'data-label': t(cols[i]) }, ...kids.filter((k) => k !== ''));
  return h('table', { class: 'history' },
    h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, snaps.map((s) => h('tr', { dataset: { snapshotId: String(s.id) }, 'aria-current': shown && s.id === shown.id ? 'true' : null },
      cell(0, {}, h('button', { type: 'button', class: 'linkish', onclick: () => onPick(s) }, fmtSecond(s.created_at))),
      cell(1, {}, badge(s.state, s.http_status)),
      cell(2, { class: 'change' }, changeCell(s)),
      cell(3, {}, s.http_status ?? ''),
      cell(4, {}, s.width && s.height ? `${s.width}×${s.height}${s.truncated ? ' ✂' : ''}` : ''),
      cell(5, { class: 'url', dataset: { user: '' } }, s.display_final_url ?? s.final_url ?? ''),
      cell(6, {}, timings(s.timings)),
      cell(7, { class: 'shaped' }, shapedBy(s.fidelity)),
      cell(8, { class: 'err' }, reasonsOf(s))))));
}

export async function pageDetail(main, ctx, id) {
  id = Number(id);
  let link;
  try {
    link = (await rpc('link.get', { id })).link;
  } catch (e) {
    main.append(h('p', { class: 'error' }, e.code === -32001 ? t('not_found') : t('error', { m: tErr(e) })),
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
  const heading = h('h2', { class: 'detail-title', dataset: { user: '' } });
  const href = safeHref(link.url);

  function paintTags() {
    chips.replaceChildren(...link.tags.map((n) => h('span', { class: 'chip', dataset: { tag: n, user: '' } },
      h('a', { href: '/links?all=' + encodeURIComponent(n) }, n),
      h('button', { type: 'button', class: 'x', 'aria-label': t('detail_remove_tag', { t: n }),
        onclick: async () => { link = (await rpc('link.tag', { id, remove: [n] })).link; paintTags(); } }, '✕'))));
    heading.textContent = link.title || shownUrl(link);
    document.title = `${heading.textContent} · linksnap`;
  }

  let shot = { stop: () => {} };
  ctx.cleanup(() => { shot.stop(); for (const d of document.querySelectorAll('dialog.viewer')) d.close(); });
  async function paintShots(pick) {
    let snaps = link.last_snapshot ? [link.last_snapshot] : [];
    try { snaps = (await rpc('snapshot.list', { link_id: id })).snapshots; } catch (e) { if (!isMissing(e)) throw e; }
    const current = (pick && snaps.find((s) => s.id === pick.id)) || pick ||
      snaps.find((s) => s.state === 'ok' || s.state === 'partial') || snaps[0];
    const next = await shotView(current);
    shot.stop();
    shot = next;
    shotBox.replaceChildren(next.el);
    dlBox.replaceChildren(...[downloadsView(current)].filter(Boolean));
    histBox.replaceChildren(histBox.firstChild, snaps.length ? historyTable(snaps, current, (s) => paintShots(s)) : h('p', { class: 'muted' }, t('st_none')));
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
    } catch (err) { toast(t('error', { m: tErr(err) }), 'error'); }
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
    } catch (err) { toast(t('error', { m: tErr(err) }), 'error'); }
  });

  const actions = h('div', { class: 'row wrap actions' },
    h('a', { href: '/links', class: 'button ghost' }, '← ', t('detail_back')),
    href ? h('a', { href, class: 'button', target: '_blank', rel: 'noopener noreferrer' }, t('detail_open')) : null,
    h('button', { type: 'button', onclick: async () => {
      try { await rpc('snapshot.request', { link_id: id }); toast(t('st_queued')); } catch (e) { toast(isMissing(e) ? t('recapture_missing') : t('error', { m: tErr(e) }), 'error'); }
    } }, t('detail_recapture')),
    h('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!confirm(t('confirm_delete', { n: 1 }))) return;
      await rpc('link.delete', { id });
      history.pushState(null, '', '/links');
      dispatchEvent(new PopStateEvent('popstate'));
    } }, t('detail_delete')));

  main.append(
    h('div', { class: 'detail', dataset: { linkId: String(id) } },
      h('div', { class: 'detail-head' }, heading, h('p', { class: 'url', title: link.url, dataset: { user: '' } }, shownUrl(link)), actions),
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
