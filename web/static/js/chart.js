// chart.js -- one chart on the page: asks chart.render for the figure's own CSS width and
// height, devicePixelRatio and the page's language; puts the SVG inline (parsed with
// DOMParser, never innerHTML, keeping only the elements and attributes our charts use), so
// every bar and day shows its exact numbers on hover; a table of the same numbers beside
// it for keyboards and screen readers; asks again whenever the figure's size changes.
import { h } from './dom.js';
import { lang, t } from './i18n.js';
import { isMissing, rpc } from './api.js';

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
  outcomes: ['col_day', 'col_ok', 'col_partial', 'col_failed', 'col_blocked'],
};

function table(kind, rows) {
  const day = new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
  const num = new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en');
  return h('table', {},
    h('caption', { class: 'sr-only' }, t('chart_' + kind)),
    h('thead', {}, h('tr', {}, COLUMNS[kind].map((c) => h('th', { scope: 'col' }, t(c))))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((v, i) => i === 0
      ? h('th', { scope: 'row' }, kind === 'tags' ? v : day.format(new Date(v + 'T00:00:00Z')))
      : h('td', { class: 'num' }, num.format(v)))))));
}

// A <figure> that draws kind with the extra params q (days, tag, top) at its own size.
export function chartFigure(kind, q) {
  const box = h('div', { class: 'chart-box' });
  const details = h('details', { class: 'chart-table' }, h('summary', {}, t('chart_table')));
  const fig = h('figure', { class: 'chart', dataset: { kind } }, box, h('figcaption', {}, t('chart_' + kind)), details);
  let drawn = '', busy = false, again = false;
  async function draw() {
    if (!box.isConnected) return;
    // The box's exact width rounded down: the SVG is never wider than its box, so the
    // browser never shrinks it (and its 11 px text) to fit.
    const width = Math.max(200, Math.floor(box.getBoundingClientRect().width));
    const height = chartHeight(width);
    const scale = Math.min(3, Math.max(1, window.devicePixelRatio || 1));
    const key = `${width}x${height}@${scale}`;
    if (key === drawn) return;
    if (busy) { again = true; return; }
    busy = true;
    drawn = key;
    try {
      const params = { kind, format: 'svg', inline: true, table: true, width, height, scale, lang };
      for (const [k, v] of Object.entries(q || {})) if (v !== '' && v != null) params[k] = k === 'tag' ? v : Number(v);
      const r = await rpc('chart.render', params);
      const doc = new DOMParser().parseFromString(utf8FromBase64(r.data), 'image/svg+xml');
      const root = doc.documentElement;
      if (root.namespaceURI !== SVG_NS || root.localName !== 'svg') throw new Error('chart.render sent no SVG');
      clean(root);
      const svg = document.importNode(root, true);
      box.replaceChildren(svg);
      fig.dataset.drawn = key;
      details.replaceChildren(details.firstChild, table(kind, r.table || []));
    } catch (e) {
      box.replaceChildren(h('p', { class: 'muted placeholder' }, isMissing(e) ? t('chart_missing') : e.message));
    }
    busy = false;
    if (again) { again = false; draw(); }
  }
  new ResizeObserver(() => draw()).observe(box);
  // A changed devicePixelRatio (zoom, another screen) also asks again.
  const watchDpr = () => matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener('change', () => { draw(); watchDpr(); }, { once: true });
  watchDpr();
  return fig;
}
