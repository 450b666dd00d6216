// dom.js -- building elements without ever parsing markup: text goes in as text nodes,
// attributes through setAttribute, so nothing a page or a user wrote can become code.
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'indeterminate') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  add(el, kids);
  return el;
}

function add(el, kids) {
  for (const k of kids) {
    if (k == null || k === false) continue;
    if (Array.isArray(k)) add(el, k);
    else el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

// An http(s) URL is safe for href; anything else is not linked.
export function safeHref(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null;
}

export function hostOf(url) {
  try { return new URL(url).host; } catch { return ''; }
}

// The address as people read it: display_url from the daemon (例子.测试/路径, never a
// homograph), the stored url otherwise. Never parsed with URL(), which re-encodes it.
export function shownUrl(o) {
  return (o && (o.display_url || o.url)) || '';
}

export function shownHost(o) {
  const u = shownUrl(o);
  const i = u.indexOf('://');
  if (i < 0) return '';
  const rest = u.slice(i + 3);
  const auth = rest.slice(0, rest.search(/[/?#]|$/));
  return auth.slice(auth.lastIndexOf('@') + 1);
}

// The daemon's tag key (NFKC_Casefold, white space collapsed) as near as JavaScript gets:
// NFKC, then upper and lower case (ß -> SS -> ss, ς -> Σ -> σ). One tag for Ｄａｔａｂａｓｅ,
// database and DATABASE here as in the store; the store decides in the end.
export function tagKey(name) {
  return String(name).normalize('NFKC').toUpperCase().toLowerCase().replace(/ς/g, 'σ').normalize('NFKC')
    .replace(/[\s\u00ad\u200b-\u200d\u2060\ufeff]+/g, (m) => (/\s/.test(m) ? ' ' : '')).trim();
}

// Announces text to screen readers (the live region in index.html).
export function announce(text) {
  const live = document.getElementById('live');
  if (!live) return;
  live.textContent = '';
  setTimeout(() => { live.textContent = text; }, 30);
}

let toastTimer;
export function toast(text, kind) {
  let el = document.getElementById('toast');
  if (!el) {
    el = h('div', { id: 'toast', role: 'status' });
    document.body.append(el);
  }
  el.textContent = text;
  el.className = 'toast show' + (kind ? ' ' + kind : '');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = 'toast'; }, 4000);
}

// Splits "a, b，c" into tag names (commas: ASCII or full-width).
export function splitTags(s) {
  return s.split(/[,，]/).map((x) => x.trim()).filter(Boolean);
}
