// page_reader.js -- /read/SNAPSHOT_ID: the words a capture kept (snapshot.text), drawn as
// an article for reading: the title, the byline, then the blocks (h1..h6, p, lists,
// quotes, preformatted) or the visible text of a page that was no article. Every word goes
// in through textContent; nothing of the page's HTML, scripts, styles or images is here,
// and nothing is fetched from the live site (the screenshot is one link away).
import { h, shownUrl } from './dom.js';
import { t, fmtDate, tErr } from './i18n.js';
import { rpc } from './api.js';

const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

// A language tag worth putting in lang= (Readability reports what the page declared).
function langTag(s) {
  return typeof s === 'string' && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(s) ? s : null;
}

// The blocks as elements, consecutive list items in one list.
function drawBlocks(blocks) {
  const out = [];
  let list = null;
  for (const b of blocks) {
    if (!b || typeof b.text !== 'string') continue;
    const kind = String(b.kind);
    if (kind === 'li') {
      if (!list) out.push(list = h('ul', { dir: 'auto' }));
      list.append(h('li', { dir: 'auto' }, b.text));
      continue;
    }
    list = null;
    if (HEADINGS.has(kind)) out.push(h(kind, { dir: 'auto' }, b.text));
    else if (kind === 'quote') out.push(h('blockquote', { dir: 'auto' }, b.text));
    else if (kind === 'pre') out.push(h('pre', { dir: 'auto' }, b.text));
    else out.push(h('p', { dir: 'auto' }, b.text));
  }
  return out;
}

// The visible text, one paragraph a line.
function drawPlain(text) {
  return String(text || '').split(/\n+/).map((l) => l.trim()).filter(Boolean).map((l) => h('p', { dir: 'auto' }, l));
}

export async function pageReader(main, _ctx, sid) {
  sid = Number(sid);
  let doc, snap = null;
  try {
    doc = await rpc('snapshot.text', { id: sid });
  } catch (e) {
    main.append(h('p', { class: 'error', role: 'alert' }, e.code === -32001 ? t('read_none') : t('error', { m: tErr(e) })),
      h('a', { href: '/links' }, t('detail_back')));
    return;
  }
  try { snap = (await rpc('snapshot.get', { id: sid })).snapshot; } catch { /* the text is enough */ }
  const blocks = Array.isArray(doc.blocks) ? doc.blocks : [];
  const title = doc.title || (snap && snap.title) || '';
  // Readability's article usually opens with the title again
  const body = blocks.length && HEADINGS.has(blocks[0].kind) && blocks[0].text === title ? blocks.slice(1) : blocks;
  const source = snap ? shownUrl({ display_url: snap.display_final_url, url: snap.final_url }) : '';

  const tools = h('div', { class: 'row wrap actions reader-tools' },
    h('a', { href: `/links/${doc.link_id}`, class: 'button ghost' }, '← ', t('read_back')),
    snap && snap.path ? h('a', { href: `/snapshots/${sid}/full.png`, class: 'button', target: '_blank', rel: 'noopener' }, t('read_shot')) : null,
    h('a', { href: `/snapshots/${sid}/text.txt`, class: 'button', download: '' }, t('read_txt')));
  const article = h('article', { class: 'reader', dir: 'auto', lang: langTag(doc.lang), dataset: { snapshotId: String(sid), user: '' } },
    h('header', {},
      title ? h('h1', { class: 'reader-title', dir: 'auto' }, title) : null,
      doc.byline ? h('p', { class: 'byline', dir: 'auto' }, doc.byline) : null),
    blocks.length ? drawBlocks(body) : drawPlain(doc.text));
  const notes = h('div', { class: 'reader-notes muted' },
    source ? h('p', { class: 'url' }, t('read_source', { m: source })) : null,
    snap && snap.finished_at ? h('p', {}, t('read_captured', { m: fmtDate(snap.finished_at) })) : null,
    blocks.length ? null : h('p', {}, t('read_plain')));
  const cut = doc.cut ? h('p', { class: 'reader-cut', role: 'note' }, t('read_cut')) : null;
  main.append(h('div', { class: 'reader-page' }, tools, notes, article, cut));
  document.title = `${title || source || sid} · linksnap`;
}
