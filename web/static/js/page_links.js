// page_links.js -- 链接管理 / Links: grid or list, newest first, infinite scroll; filters by
// tags (all of / any of / none of, by clicking chips), untagged, broken (the last capture
// failed because of the site: a 4xx/5xx answer, no such host, refused) and text (the address,
// title, description or the words of the page, with the hit's snippet under a card), a
// sort, all kept in the query string, and its total (link.count, beside the paging); select
// many, or all shown, to tag, untag, re-capture or delete, or every link the filter matches
// to tag, untag or re-capture (tag.apply and snapshot.request with the filter).
import { h, announce, tagKey, toast } from './dom.js';
import { t, tErr } from './i18n.js';
import { batchAll, isMissing, rpc } from './api.js';
import { chip, linkCard, tagField } from './widgets.js';

const PAGE = 48;
const SORTS = ['relevance', 'added', 'title', 'captured', 'host'];

function readFilter() {
  const q = new URLSearchParams(location.search);
  const list = (k) => (q.get(k) ? q.get(k).split(',').filter(Boolean) : []);
  return {
    all: list('all'), any: list('any'), none: list('none'), untagged: q.get('untagged') === '1',
    broken: q.get('broken') === '1',
    q: q.get('q') || '', view: q.get('view') === 'list' ? 'list' : 'grid',
    mode: ['all', 'any', 'none'].includes(q.get('mode')) ? q.get('mode') : 'all',
    sort: SORTS.includes(q.get('sort')) ? q.get('sort') : '',
  };
}

function writeFilter(f) {
  const q = new URLSearchParams();
  for (const k of ['all', 'any', 'none']) if (f[k].length) q.set(k, f[k].join(','));
  if (f.untagged) q.set('untagged', '1');
  if (f.broken) q.set('broken', '1');
  if (f.q) q.set('q', f.q);
  if (f.view !== 'grid') q.set('view', f.view);
  if (f.mode !== 'all') q.set('mode', f.mode);
  if (f.sort) q.set('sort', f.sort);
  const s = q.toString();
  history.replaceState(null, '', '/links' + (s ? '?' + s : ''));
}

// The filter as link.list, link.count, tag.apply and snapshot.request take it.
// the export formats GET /export writes, and their button's label
const EXPORTS = [['netscape', 'export_netscape'], ['jsonl', 'export_jsonl'], ['csv', 'export_csv']];

function filterParams(f) {
  const p = {};
  if (f.all.length) p.tags_all = f.all;
  if (f.any.length) p.tags_any = f.any;
  if (f.none.length) p.tags_none = f.none;
  if (f.untagged) p.untagged = true;
  if (f.broken) p.broken = true;
  if (f.q) p.q = f.q;
  return p;
}

function params(f) {
  const p = filterParams(f);
  // relevance needs words to rank by: without q the daemon's own default (newest first)
  if (f.sort && (f.sort !== 'relevance' || f.q)) p.sort = f.sort;
  return p;
}

export function pageLinks(main, ctx) {
  const f = readFilter();
  const selected = new Set();
  let cursor = null, loading = false, done = false, gen = 0, count = 0;
  let total = null;      // link.count for the filter (null: not known yet)
  let allMatching = false;   // the selection is every link the filter matches

  const grid = h('div', { class: 'grid', id: 'links' });
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  const foot = h('p', { class: 'muted foot', role: 'status' });
  const active = h('div', { class: 'chips active-filters', 'aria-label': t('filters') });
  const tagBar = h('div', { class: 'chips tag-bar' });
  const search = h('input', { type: 'search', id: 'links-q', name: 'q', value: f.q, placeholder: t('search_ph') });
  const untagged = h('input', { type: 'checkbox', id: 'links-untagged', checked: f.untagged });
  const broken = h('input', { type: 'checkbox', id: 'links-broken', checked: f.broken });
  const modeSel = h('select', { id: 'links-mode', name: 'mode' },
    ['all', 'any', 'none'].map((m) => h('option', { value: m, selected: f.mode === m }, t('mode_' + m))));
  // '' = the daemon's default: relevance with words to search, newest first without
  const sortSel = h('select', { id: 'links-sort', name: 'sort' },
    ['', ...SORTS].map((m) => h('option', { value: m, selected: f.sort === m }, t('sort_' + (m || 'auto')))));
  const viewBtn = h('button', { type: 'button', class: 'ghost', id: 'links-view', 'aria-pressed': String(f.view === 'list') },
    f.view === 'list' ? t('view_grid') : t('view_list'));
  const totalEl = h('p', { class: 'links-total', id: 'links-total', role: 'status' });
  // GET /export with the filter shown: the library, or what the filter matches, as a file
  const exportLinks = EXPORTS.map(([fmt, key]) => h('a', { class: 'button ghost', dataset: { format: fmt }, download: '' }, t(key)));
  const exportBox = h('p', { class: 'export-links', id: 'links-export' }, t('export'), ' ', ...exportLinks);
  function updateExport() {
    for (const a of exportLinks) {
      const u = new URLSearchParams({ format: a.dataset.format });
      for (const [k, v] of Object.entries(params(f))) u.set(k, Array.isArray(v) ? v.join(',') : String(v));
      a.href = '/export?' + u.toString();
    }
  }
  const selAll = h('input', { type: 'checkbox', id: 'links-selall' });
  const selBar = selectionBar();

  function filterChanged() {
    clearSelection();
    writeFilter(f);
    renderActive();
    reload();
  }

  function clickTag(name) {
    for (const k of ['all', 'any', 'none']) f[k] = f[k].filter((x) => tagKey(x) !== tagKey(name));
    f[f.mode].push(name);
    filterChanged();
  }

  function renderActive() {
    const items = [];
    for (const k of ['all', 'any', 'none']) {
      for (const name of f[k]) {
        items.push(h('button', { type: 'button', class: 'chip on f-' + k, dataset: { tag: name, kind: k, user: '' },
          'aria-label': `${t('mode_' + k)} ${name} ✕`,
          onclick: () => { f[k] = f[k].filter((x) => x !== name); filterChanged(); } },
        h('span', { class: 'kind' }, t('mode_' + k)), ' ', name, ' ✕'));
      }
    }
    if (items.length || f.untagged || f.broken || f.q) {
      items.push(h('button', { type: 'button', class: 'ghost small', onclick: () => {
        f.all = []; f.any = []; f.none = []; f.untagged = false; f.broken = false; f.q = '';
        search.value = ''; untagged.checked = false; broken.checked = false; filterChanged();
      } }, t('clear')));
    }
    active.replaceChildren(...items);
  }

  async function loadTags() {
    try {
      const { tags } = await rpc('tag.list');
      tagBar.replaceChildren(...tags.slice(0, 30).map((x) => chip(x.name, clickTag, { title: String(x.count) })));
    } catch { /* the bar is a convenience */ }
  }

  function card(link, eager) {
    return linkCard(link, { onTag: clickTag, selectable: true, selected: allMatching || selected.has(link.id), eager,
      onSelect: (id, on) => {
        allMatching = false;
        if (on) selected.add(id); else selected.delete(id);
        selAll.checked = false;
        selBar.update();
      } });
  }

  // "N links" for the filter, in a call of its own so that paging stays cheap
  async function loadTotal() {
    const my = gen;
    try {
      const { count: n } = await rpc('link.count', filterParams(f));
      if (my !== gen) return;
      total = n;
      totalEl.textContent = t(n === 1 ? 'total_one' : 'total', { n });
      totalEl.dataset.count = String(n);
    } catch (e) {
      if (my === gen) totalEl.textContent = isMissing(e) ? '' : t('error', { m: tErr(e) });
    }
    selBar.update();
  }

  function clearSelection() {
    allMatching = false;
    selAll.checked = false;
    selected.clear();
    selBar.update();
  }

  function selectShown(on) {
    allMatching = false;
    for (const box of grid.querySelectorAll('.card .sel')) {
      box.checked = on;
      const id = Number(box.closest('[data-link-id]').dataset.linkId);
      if (on) selected.add(id); else selected.delete(id);
    }
    selBar.update();
  }

  async function more() {
    if (loading || done) return;
    loading = true;
    const my = gen;
    const firstPage = !cursor;
    try {
      const p = params(f);
      p.limit = PAGE;
      if (cursor) p.cursor = cursor;
      const res = await rpc('link.list', p);
      if (my !== gen) return;
      const frag = document.createDocumentFragment();
      res.links.forEach((l, i) => frag.append(card(l, firstPage && i < 16)));
      grid.append(frag);
      if (selAll.checked && !allMatching) res.links.forEach((l) => selected.add(l.id));
      if (selAll.checked) grid.querySelectorAll('.card .sel').forEach((b) => { b.checked = true; });
      count += res.links.length;
      cursor = res.next_cursor;
      done = !cursor;
      foot.textContent = count === 0 ? t('no_links') : done ? `${t('count_shown', { n: count })} · ${t('end')}` : t('count_shown', { n: count });
      if (firstPage) markReady();
    } catch (e) {
      foot.textContent = t('error', { m: tErr(e) });
    } finally {
      if (my === gen) loading = false;
    }
    if (!done && my === gen && sentinel.getBoundingClientRect().top < innerHeight + 600) more();
  }

  function reload() {
    gen++;
    cursor = null; done = false; loading = false; count = 0;
    total = null;
    grid.replaceChildren();
    performance.mark('links-filter-start');
    more();
    loadTotal();
    updateExport();
  }

  // The benchmark and tests wait for this: first page painted with its thumbnails decoded.
  function markReady() {
    const imgs = [...grid.querySelectorAll('img')].filter((i) => i.getBoundingClientRect().top < innerHeight);
    Promise.all(imgs.map((i) => (i.complete ? null : i.decode().catch(() => null)))).then(() => {
      requestAnimationFrame(() => {
        performance.mark('links-ready');
        document.body.dataset.linksReady = String(Number(document.body.dataset.linksReady || 0) + 1);
      });
    });
  }

  function selectionBar() {
    const label = h('span', { class: 'sel-count', role: 'status' });
    // offered once every shown link is selected and the filter matches more of them
    const allBtn = h('button', { type: 'button', class: 'linkish', id: 'sel-all-matching', hidden: true,
      onclick: () => { allMatching = true; bar.update(); } });
    const delBtn = h('button', { type: 'button', class: 'danger', onclick: () => act('delete') }, t('sel_delete'));
    const tf = tagField({ id: 'sel-tag', name: 'sel_tag', placeholder: t('sel_tag'), 'aria-label': t('sel_tag') });
    const bar = h('div', { class: 'selbar', hidden: true, role: 'region', 'aria-label': t('select') },
      label, allBtn, tf.input, tf.list,
      h('button', { type: 'button', onclick: () => act('add') }, t('sel_add')),
      h('button', { type: 'button', onclick: () => act('remove') }, t('sel_remove')),
      h('button', { type: 'button', onclick: () => act('recapture') }, t('sel_recapture')),
      delBtn,
      h('button', { type: 'button', class: 'ghost', onclick: () => { clearSelection(); grid.querySelectorAll('.sel').forEach((c) => { c.checked = false; }); } }, t('sel_clear')));
    bar.update = () => {
      bar.hidden = selected.size === 0 && !allMatching;
      bar.dataset.all = allMatching ? String(total) : '';
      label.textContent = allMatching ? t('selected_all', { n: total ?? '…' }) : t('selected', { n: selected.size });
      allBtn.hidden = allMatching || !selAll.checked || total == null || total <= selected.size;
      allBtn.textContent = t('sel_all_matching', { n: total });
      delBtn.hidden = allMatching;   // no delete by filter: one by one, on purpose
    };
    async function act(kind) {
      const tags = tf.input.value.split(/[,，]/).map((x) => x.trim()).filter(Boolean);
      if (allMatching) return actAll(kind, tags);
      const ids = [...selected];
      if (!ids.length) return;
      let calls;
      if (kind === 'add' || kind === 'remove') {
        if (!tags.length) { tf.input.focus(); return; }
        calls = ids.map((id) => ['link.tag', kind === 'add' ? { id, add: tags } : { id, remove: tags }]);
      } else if (kind === 'recapture') {
        calls = ids.map((id) => ['snapshot.request', { link_id: id }]);
      } else {
        if (!confirm(t('confirm_delete', { n: ids.length }))) return;
        calls = ids.map((id) => ['link.delete', { id }]);
      }
      const replies = await batchAll(calls);
      const bad = replies.filter((r) => !r || r.error);
      if (bad.length && bad.every((r) => r && isMissing(r.error))) toast(t('recapture_missing'), 'error');
      else if (bad.length) toast(t('error', { m: tErr(bad[0].error) }), 'error');
      else toast(t('done_n', { n: ids.length }));
      announce(t('done_n', { n: ids.length - bad.length }));
      if (kind === 'delete') clearSelection();   // select all too: the next page is not chosen yet
      bar.update();
      reload();
      loadTags();
    }
    // every link the filter matches, in one call the daemon runs over the same filter
    async function actAll(kind, tags) {
      const filter = filterParams(f);
      try {
        let n;
        if (kind === 'add' || kind === 'remove') {
          if (!tags.length) { tf.input.focus(); return; }
          n = (await rpc('tag.apply', { filter, [kind]: tags })).changed;
        } else if (kind === 'recapture') {
          n = (await rpc('snapshot.request', { filter })).queued;
        } else {
          return;
        }
        toast(t('done_n', { n }));
        announce(t('done_n', { n }));
      } catch (e) {
        toast(t('error', { m: tErr(e) }), 'error');
        return;
      }
      clearSelection();
      reload();
      loadTags();
    }
    return bar;
  }

  let timer;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { f.q = search.value.trim(); filterChanged(); }, 200);
  });
  untagged.addEventListener('change', () => { f.untagged = untagged.checked; filterChanged(); });
  broken.addEventListener('change', () => { f.broken = broken.checked; filterChanged(); });
  modeSel.addEventListener('change', () => { f.mode = modeSel.value; writeFilter(f); });
  sortSel.addEventListener('change', () => { f.sort = sortSel.value; filterChanged(); });
  selAll.addEventListener('change', () => selectShown(selAll.checked));
  viewBtn.addEventListener('click', () => {
    f.view = f.view === 'grid' ? 'list' : 'grid';
    grid.classList.toggle('list', f.view === 'list');
    viewBtn.textContent = f.view === 'list' ? t('view_grid') : t('view_list');
    viewBtn.setAttribute('aria-pressed', String(f.view === 'list'));
    writeFilter(f);
  });
  grid.classList.toggle('list', f.view === 'list');

  const io = new IntersectionObserver((ents) => { if (ents.some((e) => e.isIntersecting)) more(); }, { rootMargin: '600px' });
  io.observe(sentinel);
  ctx.cleanup(() => io.disconnect());

  ctx.on('link.updated', (ev) => {
    const old = ev.link && grid.querySelector(`[data-link-id="${ev.link.id}"]`);
    if (old) old.replaceWith(card(ev.link));
  });
  ctx.on('link.deleted', (ev) => { grid.querySelector(`[data-link-id="${Number(ev.id)}"]`)?.remove(); });
  ctx.on('job', async (ev) => {
    const old = grid.querySelector(`[data-link-id="${Number(ev.link_id)}"]`);
    if (!old) return;
    try { old.replaceWith(card((await rpc('link.get', { id: ev.link_id })).link)); } catch { /* gone */ }
  });
  ctx.on('tag', () => { loadTags(); reload(); });

  main.append(
    h('section', { class: 'panel filters' },
      h('h2', {}, t('links_heading')),
      h('div', { class: 'row wrap' },
        h('label', { for: 'links-q', class: 'sr-only' }, t('search')), search,
        h('label', { class: 'check' }, untagged, ' ', t('untagged')),
        h('label', { class: 'check' }, broken, ' ', t('broken')),
        h('label', { for: 'links-mode' }, t('mode')), modeSel,
        h('label', { for: 'links-sort' }, t('sort')), sortSel,
        viewBtn),
      active, tagBar,
      h('div', { class: 'row wrap' }, h('label', { class: 'check' }, selAll, ' ', t('sel_all_shown')), totalEl),
      exportBox),
    selBar, grid, sentinel, foot);
  renderActive();
  loadTags();
  reload();
}
