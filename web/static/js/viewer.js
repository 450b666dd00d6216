// viewer.js -- a full-page screenshot as tiles, and the full-size viewer over the page:
// zoom (fit width, 100%, 200%, steps between), pan by scrolling, keys (+ - 0 f, arrows,
// Escape) and touch (pinch, buttons, native scroll). Tiles get their src only as they come
// near the visible area of their scroller, so a 30,000 px capture is never decoded at once.
// Knows nothing of links or history: page_detail.js gives it a snapshot.
import { h } from './dom.js';
import { t } from './i18n.js';

const ZOOM_MIN = 0.05, ZOOM_MAX = 4, ZOOM_STEP = 1.25;

// The daemon's cut of the snapshot's PNG: {width, height, tile_height, count}.
export async function viewerTileMeta(snap) {
  const res = await fetch(`/snapshots/${snap.id}/tiles.json`, { credentials: 'same-origin' });
  if (!res.ok) {
    let m = `HTTP ${res.status}`, data;
    try { const e = (await res.json()).error; m = e.message ?? m; data = e.data; } catch { /* the status says it */ }
    throw Object.assign(new Error(m), { data });   // data: the code tErr translates
  }
  return res.json();
}

// The width the page had in CSS pixels when it was captured: the PNG's width over the
// capture's device scale (1 unless the fidelity record says otherwise).
export function viewerCssWidth(snap, meta) {
  const scale = Number(snap && snap.fidelity && snap.fidelity.scale) || 1;
  return Math.max(1, Math.round(meta.width / scale));
}

// The tiles of one snapshot, top to bottom, each with its size so the strip has its full
// height before anything loads. root is the scroller the tiles are seen through (null: the
// window). Returns {el, stop}; stop() ends the watching (call it when the strip goes).
export function viewerTileStrip(snap, meta, root) {
  const strip = h('div', { class: 'tiles' });
  const load = (img) => { if (!img.src) img.src = img.dataset.src; };
  const io = typeof IntersectionObserver === 'function'
    ? new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (e.isIntersecting) { load(e.target); io.unobserve(e.target); }
      }
    }, { root, rootMargin: '100% 0px' })
    : null;
  for (let i = 0; i < meta.count; i++) {
    const rows = Math.min(meta.tile_height, meta.height - i * meta.tile_height);
    const img = h('img', { class: 'tile', alt: '', width: meta.width, height: rows, decoding: 'async',
      dataset: { src: `/snapshots/${snap.id}/tile/${i}.png`, tile: String(i) } });
    strip.append(img);
    if (i === 0 || !io) load(img);
    else io.observe(img);
  }
  return { el: strip, stop: () => { if (io) io.disconnect(); } };
}

export function viewerIsPhone() {
  return matchMedia('(max-width: 599px)').matches;
}

// Opens the viewer as a modal dialog over the page; closing it (Escape, the close button)
// removes it and gives the focus back to opener. mode is 'fit' or a zoom factor (1 = the
// shot's CSS width); by default 100% on a phone, fit width elsewhere.
export function viewerOpen(snap, meta, { opener = null, mode = null, onClose = null } = {}) {
  const cssW = viewerCssWidth(snap, meta);
  const pane = h('div', { class: 'viewer-pane', tabindex: '0', 'aria-label': t('v_pane') });
  const canvas = h('div', { class: 'viewer-canvas' });
  const tiles = viewerTileStrip(snap, meta, pane);
  canvas.append(tiles.el);
  pane.append(canvas);
  const level = h('output', { class: 'viewer-level', 'aria-live': 'polite' });
  const btn = (cls, label, text, fn) => h('button', { type: 'button', class: cls, 'aria-label': label, title: label, onclick: fn }, text);
  const fitBtn = btn('v-fit', t('v_fit'), t('v_fit'), () => setZoom('fit'));
  const oneBtn = btn('v-100', t('v_actual'), '100%', () => setZoom(1));
  const twoBtn = btn('v-200', t('v_double'), '200%', () => setZoom(2));
  const bar = h('div', { class: 'viewer-bar', role: 'toolbar', 'aria-label': t('v_tools') },
    fitBtn, oneBtn, twoBtn,
    btn('v-out', t('v_zoom_out'), '−', () => step(1 / ZOOM_STEP)),
    level,
    btn('v-in', t('v_zoom_in'), '+', () => step(ZOOM_STEP)),
    h('a', { class: 'button v-png', href: `/snapshots/${snap.id}/full.png?download=1`, download: '' }, t('v_png')),
    h('span', { class: 'viewer-keys muted' }, t('v_keys')),
    btn('v-close', t('v_close'), '✕', () => dlg.close()));
  const dlg = h('dialog', { class: 'viewer', 'aria-label': t('v_label'), dataset: { snapshotId: String(snap.id) } }, bar, pane);

  let zoom = 1, fit = false;
  // Sets the zoom, keeping the shot's point under (ax, ay) (pane coordinates; the pane's
  // centre by default) where it was.
  function setZoom(z, ax = pane.clientWidth / 2, ay = pane.clientHeight / 2) {
    fit = z === 'fit';
    const nz = fit ? pane.clientWidth / cssW : Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, z));
    const oldW = canvas.offsetWidth || 1, oldH = canvas.offsetHeight || 1;
    const fx = (pane.scrollLeft + ax) / oldW, fy = (pane.scrollTop + ay) / oldH;
    zoom = nz;
    canvas.style.width = `${Math.round(cssW * zoom)}px`;
    pane.scrollLeft = fx * canvas.offsetWidth - ax;
    pane.scrollTop = fy * canvas.offsetHeight - ay;
    level.textContent = `${Math.round(zoom * 100)}%`;
    dlg.dataset.zoom = String(zoom);
    dlg.dataset.mode = fit ? 'fit' : String(zoom);
    fitBtn.setAttribute('aria-pressed', String(fit));
    oneBtn.setAttribute('aria-pressed', String(!fit && zoom === 1));
    twoBtn.setAttribute('aria-pressed', String(!fit && zoom === 2));
  }
  const step = (f) => setZoom(zoom * f);
  const pan = (dx, dy) => pane.scrollBy({ left: dx, top: dy });

  dlg.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const px = Math.max(40, Math.round(pane.clientHeight / 10));
    const keys = {
      '+': () => step(ZOOM_STEP), '=': () => step(ZOOM_STEP), '-': () => step(1 / ZOOM_STEP), _: () => step(1 / ZOOM_STEP),
      0: () => setZoom(1), f: () => setZoom('fit'), F: () => setZoom('fit'),
      ArrowLeft: () => pan(-px, 0), ArrowRight: () => pan(px, 0), ArrowUp: () => pan(0, -px), ArrowDown: () => pan(0, px),
    };
    const fn = keys[e.key];
    if (!fn) return;
    e.preventDefault();
    fn();
  });
  // ctrl + wheel (and a trackpad's pinch, which Chromium sends as one) zooms at the pointer
  pane.addEventListener('wheel', (e) => {
    if (!e.ctrlKey) return;
    e.preventDefault();
    const r = pane.getBoundingClientRect();
    setZoom(zoom * (e.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  // two fingers zoom about their midpoint; one finger is the browser's own scrolling
  const touches = new Map();
  let pinch = null;
  const spread = () => {
    const [a, b] = [...touches.values()];
    return { d: Math.hypot(a.x - b.x, a.y - b.y) || 1, x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  };
  pane.addEventListener('pointerdown', (e) => {
    if (e.pointerType !== 'touch') return;
    touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (touches.size === 2) pinch = { ...spread(), z: zoom };
  });
  pane.addEventListener('pointermove', (e) => {
    if (!touches.has(e.pointerId)) return;
    touches.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (!pinch || touches.size !== 2) return;
    const s = spread(), r = pane.getBoundingClientRect();
    setZoom(pinch.z * (s.d / pinch.d), s.x - r.left, s.y - r.top);
  });
  const lift = (e) => { touches.delete(e.pointerId); if (touches.size < 2) pinch = null; };
  pane.addEventListener('pointerup', lift);
  pane.addEventListener('pointercancel', lift);
  const resize = new ResizeObserver(() => { if (fit) setZoom('fit'); });

  dlg.addEventListener('close', () => {
    tiles.stop();
    resize.disconnect();
    dlg.remove();
    if (opener && opener.isConnected) opener.focus();
    if (onClose) onClose();
  });
  document.body.append(dlg);
  dlg.showModal();
  setZoom(mode ?? (viewerIsPhone() ? 1 : 'fit'), 0, 0);
  resize.observe(pane);
  pane.focus();
  return dlg;
}
