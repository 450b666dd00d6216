// chart.js -- one chart on the page: asks chart.render for the figure's own CSS width and
// height, devicePixelRatio and the page's language; puts the SVG inline (parsed with
// DOMParser, never innerHTML, keeping only the elements and attributes our charts use), so
// every bar and day shows its exact numbers on hover; a table of the same numbers beside
// it for keyboards and screen readers; asks again whenever the figure's size or the
// page's theme changes (data-theme on <html> when set, else prefers-color-scheme), and
// when the data may have: link.*, tag.* and job.finished events, gathered for a moment
// (an import sends thousands), a rename or merge at once so the old name never lingers.
import { h } from './dom.js';
import { lang, t, tErr } from './i18n.js';
import { isMissing, on, rpc } from './api.js';

const DARK = matchMedia('(prefers-color-scheme: dark)');
const SETTLE_MS = 600;   // events within this of each other make one redraw

// The page's theme: the manual switch's data-theme="light|dark" on <html>, else the system's.
export function chartTheme() {
  const set = document.documentElement.dataset.theme;
  if (set === 'dark' || set === 'light') return set;
  return DARK.matches ? 'dark' : 'light';
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const ELEMENTS = new Set(['svg', 'title', 'rect', 'path', 'text', 'g', 'clipPath']);
const ATTRS = new Set(['xmlns', 'width', 'height', 'viewBox', 'role', 'font-family', 'font-size',
  'font-weight', 'text-anchor', 'fill', 'fill-opacity', 'fill-rule', 'stroke', 'stroke-width',
  'stroke-linejoin', 'stroke-linecap', 'stroke-miterlimit', 'stroke-dasharray', 'stroke-dashoffset',
  'd', 'x', 'y', 'transform', 'id', 'clip-path']);

// Drops anything our charts never contain (scripts, links, event handlers, styles).
function clean(root) {
  for (const el of [...root.querySelectorAll('*')]) {
    if (el.namespaceURI !== SVG_NS || !ELEMENTS.has(el.localName)) { el.remove(); continue; }
    for (const a of [...el.attributes]) if (!ATTRS.has(a.name)) el.removeAttribute(a.name);
  }
  for (const a of [...root.attributes]) if (!ATTRS.has(a.name)) root.removeAttribute(a.name);
}

function utf8FromBase64(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

// The figure's height for its width: a phone gets a squarer chart than a desktop column.
export function chartHeight(width) {
  return Math.round(Math.min(360, Math.max(240, width * 0.62)));
}

const COLUMNS = {
  tags: ['col_tag', 'col_links'],
  timeline: ['col_day', 'col_added'],
  outcomes: ['col_day', 'col_ok', 'col_partial', 'col_failed', 'col_blocked', 'col_http_error'],
};

// The table's columns: the reply's table_version says which a row has (version 2 gave
// outcomes http_error; a daemon without it sends rows one shorter and no version).
function columns(kind, version) {
  return kind === 'outcomes' && !(version >= 2) ? COLUMNS[kind].slice(0, 5) : COLUMNS[kind];
}

function table(kind, rows, version) {
  const day = new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
  const num = new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en');
  return h('table', {},
    h('caption', { class: 'sr-only' }, t('chart_' + kind)),
    h('thead', {}, h('tr', {}, columns(kind, version).map((c) => h('th', { scope: 'col' }, t(c))))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((v, i) => i === 0
      ? h('th', { scope: 'row' }, kind === 'tags' ? v : day.format(new Date(v + 'T00:00:00Z')))
      : h('td', { class: 'num' }, num.format(v)))))));
}

// A <figure> that draws kind with the extra params q (days, tag, top) at its own size.
export function chartFigure(kind, q) {
  const box = h('div', { class: 'chart-box' });
  const details = h('details', { class: 'chart-table' }, h('summary', {}, t('chart_table')));
  const fig = h('figure', { class: 'chart', dataset: { kind } }, box, h('figcaption', {}, t('chart_' + kind)), details);
  let drawn = '', busy = false, again = false, settle = 0, stale = false;
  const undo = [];
  // A figure taken off the page lets go of its watchers at the next thing it hears.
  function gone() {
    if (fig.isConnected) return false;
    undo.splice(0).forEach((f) => f());
    clearTimeout(settle);
    return true;
  }
  async function draw(force) {
    if (gone() || !box.isConnected) return;
    if (force) stale = true;
    // The box's exact width rounded down: the SVG is never wider than its box, so the
    // browser never shrinks it (and its 11 px text) to fit.
    const width = Math.max(200, Math.floor(box.getBoundingClientRect().width));
    const height = chartHeight(width);
    const scale = Math.min(3, Math.max(1, window.devicePixelRatio || 1));
    const theme = chartTheme();
    const key = `${width}x${height}@${scale}/${theme}`;
    if (key === drawn && !stale) return;
    if (busy) { again = true; return; }
    busy = true;
    drawn = key;
    stale = false;
    try {
      const params = { kind, format: 'svg', inline: true, table: true, width, height, scale, lang, theme };
      for (const [k, v] of Object.entries(q || {})) if (v !== '' && v != null) params[k] = k === 'tag' ? v : Number(v);
      const r = await rpc('chart.render', params);
      const doc = new DOMParser().parseFromString(utf8FromBase64(r.data), 'image/svg+xml');
      const root = doc.documentElement;
      if (root.namespaceURI !== SVG_NS || root.localName !== 'svg') throw new Error('chart.render sent no SVG');
      clean(root);
      const svg = document.importNode(root, true);
      box.replaceChildren(svg);
      fig.dataset.drawn = key;
      fig.dataset.theme = theme;
      fig.dataset.renders = String(Number(fig.dataset.renders || 0) + 1);
      details.replaceChildren(details.firstChild, table(kind, r.table || [], r.table_version));
    } catch (e) {
      box.replaceChildren(h('p', { class: 'muted placeholder' }, isMissing(e) ? t('chart_missing') : tErr(e)));
    }
    busy = false;
    if (again) { again = false; draw(); }
  }
  const sized = new ResizeObserver(() => draw());
  sized.observe(box);
  undo.push(() => sized.disconnect());
  const themed = new MutationObserver(() => draw());
  themed.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  undo.push(() => themed.disconnect());
  const sys = () => draw();
  DARK.addEventListener('change', sys);
  undo.push(() => DARK.removeEventListener('change', sys));
  const later = (ev) => {
    if (gone() || ev.topic === 'tag.renamed' || ev.topic === 'tag.merged') return;   // drawn at once below
    clearTimeout(settle);
    settle = setTimeout(() => draw(true), SETTLE_MS);
  };
  for (const topic of ['link', 'tag', 'job.finished']) undo.push(on(topic, later));
  for (const topic of ['tag.renamed', 'tag.merged']) undo.push(on(topic, () => { if (!gone()) draw(true); }));
  // A changed devicePixelRatio (zoom, another screen) also asks again.
  const watchDpr = () => matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener('change', () => { draw(); watchDpr(); }, { once: true });
  watchDpr();
  return fig;
}
