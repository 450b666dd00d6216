// page_changes.js -- 新变化 / Changes: the changed captures of every link, newest first
// (snapshot.changes), and what is scheduled (watch.list); /changes/FROM/TO, the diff of two
// captures: the old and the new shot, a slider between them (two stacked pictures, the
// new one clipped), the overlay picture (/diff/FROM/TO.png) and the text that came and
// went. Also the change figures of a link's history row (changeCell, for page_detail.js).
// Everything a page or a user wrote goes in as text (dom.js), never as markup.
import { h, shownUrl } from './dom.js';
import { t, lang, fmtDate, tErr } from './i18n.js';
import { batchAll, isMissing, rpc } from './api.js';
import { badge } from './widgets.js';

// 0.0123 -> "1.2%", 0.00012 -> "0.01%": a small change never reads as 0%.
export function fmtFraction(f) {
  const x = Number(f) || 0;
  if (x > 0 && x < 0.0001) return '<' + fmtFraction(0.0001);
  return new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en', {
    style: 'percent', maximumFractionDigits: x < 0.01 ? 2 : 1,
  }).format(x);
}

// Seconds in the largest unit that divides them: 90 -> 90 s, 21600 -> 6 h, 86400 -> 1 d.
function fmtEvery(s) {
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['min', 60]]) {
    if (s >= n && s % n === 0) return t('dur_' + unit, { n: s / n });
  }
  return t('dur_s', { n: s });
}

const diffHref = (from, to) => `/changes/${from}/${to}`;

// A capture's change as people read it: "12% changed" / "unchanged" / nothing (never
// compared: the first good capture, or one that was not good).
function changeText(c) {
  if (!c) return '';
  return c.changed ? t('ch_pct', { p: fmtFraction(c.changed_fraction) }) : t('ch_unchanged');
}

// The history row's cell: thumbnail, the change figures, and "compare with previous"
// (its baseline: the good capture before it) when it was compared.
export function changeCell(s) {
  const good = s.thumb_path && (s.state === 'ok' || s.state === 'partial');
  const c = s.change;
  return h('div', { class: 'change-cell' },
    good ? h('img', { class: 'hist-thumb', src: `/snapshots/${s.id}/thumb.png`, alt: '', loading: 'lazy', decoding: 'async', width: 96, height: 60 }) : null,
    h('span', { class: 'change-figure' + (c && c.changed ? ' changed' : '') }, changeText(c)),
    c && c.against ? h('a', { href: diffHref(c.against, s.id), class: 'compare' }, t('ch_compare')) : null);
}

// ---- the list: changed captures, then the watches ------------------------------------------

function changeItem(x) {
  const s = x.snapshot, l = x.link, c = s.change || {};
  const title = l.title || s.title || shownUrl(l);
  return h('li', { class: 'change', dataset: { snapshotId: String(s.id), linkId: String(l.id) } },
    h('a', { href: diffHref(c.against, s.id), class: 'change-shot', tabindex: '-1', 'aria-hidden': 'true' },
      s.thumb_path ? h('img', { src: `/snapshots/${s.id}/thumb.png`, alt: '', loading: 'lazy', decoding: 'async', width: 160, height: 100 }) : null),
    h('div', { class: 'change-body' },
      h('a', { href: `/links/${l.id}`, class: 'title', dir: 'auto', dataset: { user: '' } }, title),
      h('p', { class: 'url', title: l.url, dataset: { user: '' } }, shownUrl(l)),
      h('p', { class: 'meta' },
        h('time', { datetime: s.created_at }, fmtDate(s.created_at)), ' · ',
        h('strong', { class: 'change-figure changed' }, changeText(c))),
      h('a', { href: diffHref(c.against, s.id), class: 'button open-diff' }, t('ch_open'))));
}

function watchRow(w, names) {
  const target = w.link_id
    ? h('a', { href: `/links/${w.link_id}`, dir: 'auto' }, names.get(w.link_id) || `#${w.link_id}`)
    : h('a', { href: '/links?all=' + encodeURIComponent(w.tag), class: 'chip', dataset: { tag: w.tag, user: '' } }, w.tag);
  return h('tr', { dataset: { watchId: String(w.id) } },
    h('td', {}, w.link_id ? null : h('span', { class: 'muted' }, t('w_tag'), ' '), target),
    h('td', {}, fmtEvery(w.every)),
    h('td', {}, w.links),
    h('td', {}, w.next_run ? h('time', { datetime: w.next_run }, fmtDate(w.next_run)) : '–'),
    h('td', {}, w.last_run ? h('time', { datetime: w.last_run }, fmtDate(w.last_run)) : '–'));
}

async function watchesView(box) {
  let watches;
  try {
    watches = (await rpc('watch.list')).watches;
  } catch (e) {
    if (isMissing(e)) { box.replaceChildren(); return; }
    throw e;
  }
  const head = h('h3', { id: 'w-h' }, t('w_heading'));
  if (!watches.length) {
    box.replaceChildren(head, h('p', { class: 'muted' }, t('w_none'), ' ', h('code', {}, 'linksnap watch ID --every 6h')));
    return;
  }
  // the watched links' titles, in one round trip (a link that failed shows as #ID)
  const names = new Map();
  const ids = watches.filter((w) => w.link_id).map((w) => w.link_id);
  for (const r of await batchAll(ids.map((id) => ['link.get', { id }]))) {
    if (r && r.result) names.set(r.result.link.id, r.result.link.title || shownUrl(r.result.link));
  }
  box.replaceChildren(head, h('div', { class: 'table-scroll' }, h('table', { class: 'watches' },
    h('thead', {}, h('tr', {}, ['w_target', 'w_every', 'w_links', 'w_next', 'w_last'].map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, watches.map((w) => watchRow(w, names))))));
}

export async function pageChanges(main, ctx) {
  const list = h('ol', { class: 'changes', id: 'changes' });
  const more = h('button', { type: 'button', hidden: true }, t('more'));
  const watchBox = h('section', { class: 'panel', 'aria-labelledby': 'w-h' });
  let next = null;

  async function load(reset) {
    const r = await rpc('snapshot.changes', { limit: 30, ...(reset || !next ? {} : { before: next }) });
    const items = r.changes.map(changeItem);
    if (reset) list.replaceChildren(...items);
    else list.append(...items);
    next = r.next_before;
    more.hidden = !next;
    if (!list.children.length) list.replaceChildren(h('li', { class: 'muted empty' }, t('ch_none')));
  }
  more.addEventListener('click', () => load(false));
  main.append(
    h('section', { class: 'panel', 'aria-labelledby': 'ch-h' }, h('h2', { id: 'ch-h' }, t('ch_heading')), list, more),
    watchBox);
  // a new change, or a capture that finished (a watch ran): the list and the schedule again
  let pending = null;
  const refresh = () => {
    clearTimeout(pending);
    pending = setTimeout(() => { load(true).catch(() => {}); watchesView(watchBox).catch(() => {}); }, 300);
  };
  ctx.cleanup(() => clearTimeout(pending));
  ctx.on('snapshot.changed', refresh);
  ctx.on('job.finished', refresh);
  try {
    await load(true);
  } catch (e) {
    if (!isMissing(e)) throw e;
    list.replaceChildren(h('li', { class: 'muted empty' }, t('ch_missing')));
  }
  await watchesView(watchBox);
}

// ---- one diff: /changes/FROM/TO ---------------------------------------------------------------

function shot(s, cls) {
  return h('img', { class: cls, src: `/snapshots/${s.id}/full.png`, alt: '', width: s.width || null, height: s.height || null, decoding: 'async' });
}

// The new shot over the old one, cut at the slider: left of it the new, right the old.
function slider(from, to) {
  const box = h('div', { class: 'compare' }, shot(from, 'old'), shot(to, 'new'), h('div', { class: 'divider', 'aria-hidden': 'true' }));
  const range = h('input', { type: 'range', id: 'diff-pos', name: 'pos', min: 0, max: 100, step: 1, value: 50, 'aria-valuetext': '50%' });
  const set = () => {
    box.style.setProperty('--pos', range.value + '%');
    range.setAttribute('aria-valuetext', `${t('diff_new')} ${range.value}% · ${t('diff_old')} ${100 - range.value}%`);
  };
  range.addEventListener('input', set);
  set();
  return h('div', { class: 'slider-view' },
    h('div', { class: 'slider-bar' },
      h('span', { 'aria-hidden': 'true' }, t('diff_new')),
      h('label', { for: 'diff-pos', class: 'sr-only' }, t('diff_pos')), range,
      h('span', { 'aria-hidden': 'true' }, t('diff_old'))),
    box);
}

function textList(items, cls, key) {
  if (!items || !items.length) return null;
  return h('section', { class: 'text-diff ' + cls },
    h('h4', {}, t(key, { n: items.length })),
    h('ul', {}, items.map((s) => h('li', { dir: 'auto' }, s))));
}

export async function pageDiff(main, ctx, fromId, toId) {
  const [fromR, toR] = await Promise.all([rpc('snapshot.get', { id: Number(fromId) }), rpc('snapshot.get', { id: Number(toId) })]);
  const from = fromR.snapshot, to = toR.snapshot;
  const link = (await rpc('link.get', { id: to.link_id })).link;
  const figures = h('p', { class: 'diff-figures', 'aria-live': 'polite' }, t('loading'));
  const views = h('div', { class: 'diff-views' });
  const texts = h('div', { class: 'diff-texts' });
  const title = link.title || to.title || shownUrl(link);

  const modes = ['slider', 'overlay', 'side'];
  let mode = 'slider';
  const pick = h('fieldset', { class: 'diff-mode' }, h('legend', {}, t('diff_view')),
    modes.map((m) => h('label', { class: 'check' },
      h('input', { type: 'radio', name: 'diff-mode', value: m, checked: m === mode, onchange: () => { mode = m; paint(); } }),
      t('diff_' + m))));
  let overlay = null;
  function paint() {
    views.dataset.mode = mode;
    if (mode === 'slider') views.replaceChildren(slider(from, to));
    else if (mode === 'side') {
      views.replaceChildren(h('div', { class: 'side' },
        h('figure', {}, h('figcaption', {}, t('diff_old'), ' · ', fmtDate(from.created_at)), shot(from, 'old')),
        h('figure', {}, h('figcaption', {}, t('diff_new'), ' · ', fmtDate(to.created_at)), shot(to, 'new'))));
    } else {
      views.replaceChildren(overlay
        ? h('figure', {}, h('figcaption', {}, t('diff_overlay_cap')),
          h('img', { class: 'overlay', src: `/diff/${from.id}/${to.id}.png`, alt: t('diff_overlay_alt'), decoding: 'async' }))
        : h('p', { class: 'muted' }, t('diff_same')));
    }
  }

  main.append(h('div', { class: 'diff', dataset: { from: String(from.id), to: String(to.id) } },
    h('div', { class: 'detail-head' },
      h('h2', { dir: 'auto' }, t('diff_heading'), ': ', h('span', { class: 'title', dataset: { user: '' } }, title)),
      h('p', { class: 'url', title: link.url, dataset: { user: '' } }, shownUrl(link)),
      h('p', { class: 'meta' }, t('diff_old'), ' ', h('time', { datetime: from.created_at }, fmtDate(from.created_at)), ' ',
        badge(from.state, from.http_status), ' → ', t('diff_new'), ' ', h('time', { datetime: to.created_at }, fmtDate(to.created_at)), ' ',
        badge(to.state, to.http_status)),
      h('div', { class: 'row wrap actions' },
        h('a', { href: '/changes', class: 'button ghost' }, '← ', t('diff_back')),
        h('a', { href: `/links/${link.id}`, class: 'button' }, t('diff_link')))),
    h('section', { class: 'panel' }, figures, pick, views),
    texts));
  paint();

  // the figures and the text lists: snapshot.diff runs off the daemon's loop (seconds for
  // two tall shots); the pictures above load meanwhile
  let d;
  try {
    d = await rpc('snapshot.diff', { from: from.id, to: to.id });
  } catch (e) {
    figures.textContent = t('error', { m: tErr(e) });
    figures.classList.add('error');
    return;
  }
  overlay = !!d.image;
  const parts = [d.changed ? t('ch_pct', { p: fmtFraction(d.changed_fraction) }) : t('ch_unchanged'),
    t('diff_regions', { n: d.regions_total ?? d.regions.length })];
  if (d.common_width && d.widths) parts.push(t('diff_width', { a: d.widths[0], b: d.widths[1], c: d.common_width }));
  figures.textContent = parts.join(' · ');
  const added = d.text && d.text.added, removed = d.text && d.text.removed;
  texts.replaceChildren(h('section', { class: 'panel' }, h('h3', {}, t('diff_text')),
    textList(added, 'added', 'diff_added'), textList(removed, 'removed', 'diff_removed'),
    (added && added.length) || (removed && removed.length) ? null : h('p', { class: 'muted' }, t('diff_no_text'))));
  main.querySelector('.diff').dataset.ready = '1';
  if (mode === 'overlay') paint();
}
