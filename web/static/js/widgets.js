// widgets.js -- pieces several pages share: tag chips, the capture state badge, the
// thumbnail, the tag field with completion, a link's card, and the snippet of a search
// hit in a page's text.
import { h, safeHref, shownHost, shownUrl, splitTags, tagKey } from './dom.js';
import { t, fmtDate, hasWord } from './i18n.js';
import { rpc } from './api.js';

export function stateOf(link) {
  const s = link.last_snapshot;
  return s ? s.state : 'none';
}

// The state of a capture as a badge; a capture taken (ok, partial) of a page the site
// answered with 4xx/5xx reads as that answer ("404 Not Found" / "404 未找到") in the
// colour of a failure, never as a green "done": the picture is the site's error page.
export function badge(state, status) {
  if ((state === 'ok' || state === 'partial') && status >= 400 && status <= 599) {
    const reason = t('http_' + status);
    return h('span', { class: 'badge st-http', dataset: { state, http: String(status) } },
      `${status} ${reason === 'http_' + status ? t('http_error') : reason}`);
  }
  return h('span', { class: 'badge st-' + state, dataset: { state } }, t('st_' + state));
}

// One reason a capture is partial ({code, params, text}: docs/capture.md) in the page's
// language, from its code and params; a code this page has no words for shows the
// daemon's English sentence.
export function reasonText(r) {
  if (!r || typeof r !== 'object') return '';
  const key = 'reason_' + r.code;
  if (typeof r.code !== 'string' || !hasWord(key)) return String(r.text ?? '');
  const p = r.params && typeof r.params === 'object' ? r.params : {};
  const list = (v, total) => {
    const names = Array.isArray(v) ? v.map(String) : [];
    if (!names.length) return '';
    const more = Number(total) > names.length ? t('reason_more') : '';
    return t('reason_list', { list: names.join(t('reason_sep')) + more });
  };
  const wall = typeof p.wall === 'string' && hasWord('wall_' + p.wall) ? t('wall_' + p.wall) : p.wall;
  const tries = Number(p.attempts) > 1 ? t('reason_attempts', { n: Number(p.attempts) }) : '';
  return t(key, { ...p, hosts: list(p.hosts, p.distinct_hosts), families: list(p.families), wall }) + tries;
}

// A capture's reasons as a list (each with the daemon's sentence as its tooltip), or its
// error when it has none (older captures, failures, bot walls).
export function reasonsOf(snap) {
  if (snap && Array.isArray(snap.reasons) && snap.reasons.length) {
    return h('ul', { class: 'reasons' }, snap.reasons.map((r) =>
      h('li', { dataset: { code: String(r && r.code) }, title: String((r && r.text) ?? '') }, reasonText(r))));
  }
  return (snap && snap.error) ?? '';
}

// A tag chip; onClick makes it a button.
export function chip(name, onClick, extra) {
  if (!onClick) return h('span', { class: 'chip', dataset: { tag: name, user: '' } }, name);
  return h('button', { type: 'button', class: 'chip', dataset: { tag: name, user: '' }, onclick: () => onClick(name), ...extra }, name);
}

export function thumb(link, big, eager) {
  const s = link.last_snapshot;
  const box = h('div', { class: 'thumb' + (big ? ' big' : '') });
  if (s && s.thumb_path && (s.state === 'ok' || s.state === 'partial')) {
    box.append(h('img', { src: `/snapshots/${s.id}/thumb.png`, alt: '', loading: eager ? 'eager' : 'lazy', decoding: 'async', width: 320, height: 200 }));
  } else {
    box.classList.add('empty');
    box.append(h('span', { 'aria-hidden': 'true' }, s && (s.state === 'queued' || s.state === 'running') ? '⏳' : '∅'));
  }
  return box;
}

// The excerpt link.list gives for a hit in the page's text: its segments as text nodes,
// the hits in <mark>. Never markup: a segment "<b>" is shown as those three characters.
export function snippet(match) {
  if (!match || match.in !== 'text' || !Array.isArray(match.snippet)) return null;
  return h('p', { class: 'snippet', dir: 'auto', dataset: { user: '' } },
    match.snippet.map((s) => (s && s.hit ? h('mark', {}, String(s.text)) : String(s ? s.text : ''))));
}

// One link as a card (grid) or a row (list). opts: {onTag, selectable, selected, onSelect}
export function linkCard(link, opts = {}) {
  const title = link.title || (link.last_snapshot && link.last_snapshot.title) || shownUrl(link);
  const head = h('a', { href: `/links/${link.id}`, class: 'title', dataset: { user: '' } }, title);
  const sel = opts.selectable
    ? h('input', { type: 'checkbox', class: 'sel', checked: !!opts.selected, 'aria-label': t('select') + ' ' + title,
      onchange: (e) => opts.onSelect && opts.onSelect(link.id, e.target.checked) })
    : null;
  const tags = h('div', { class: 'chips', 'aria-label': t('tag_of') }, link.tags.map((n) => chip(n, opts.onTag)));
  const href = safeHref(link.url);
  const card = h('article', { class: 'card', dataset: { linkId: String(link.id) } },
    sel,
    h('a', { href: `/links/${link.id}`, tabindex: '-1', 'aria-hidden': 'true', class: 'thumb-link' }, thumb(link, false, opts.eager)),
    h('div', { class: 'body' },
      head,
      snippet(link.match),
      h('div', { class: 'meta' },
        href ? h('a', { href, class: 'host', target: '_blank', rel: 'noopener noreferrer', dataset: { user: '' } }, shownHost(link))
          : h('span', { class: 'host', dataset: { user: '' } }, shownHost(link)),
        badge(stateOf(link), link.last_snapshot && link.last_snapshot.http_status),
        h('time', { datetime: link.created_at }, fmtDate(link.created_at))),
      tags));
  return card;
}

// A text field for comma-separated tags that completes the last name from existing tags.
export function tagField(attrs) {
  const id = 'tl-' + Math.random().toString(36).slice(2);
  const list = h('datalist', { id });
  const input = h('input', { type: 'text', autocomplete: 'off', list: id, ...attrs });
  let tags = null;
  async function load() {
    if (tags) return;
    tags = [];
    try { tags = (await rpc('tag.list')).tags.map((x) => x.name); } catch { /* completion is optional */ }
  }
  input.addEventListener('focus', load);
  input.addEventListener('input', async () => {
    await load();
    const v = input.value;
    const i = Math.max(v.lastIndexOf(','), v.lastIndexOf('，'));
    const before = i >= 0 ? v.slice(0, i + 1) + ' ' : '';
    const last = tagKey(v.slice(i + 1));
    const have = new Set(splitTags(v.slice(0, i + 1)).map(tagKey));
    const opts = tags.filter((n) => !have.has(tagKey(n)) && (!last || tagKey(n).includes(last))).slice(0, 20);
    list.replaceChildren(...opts.map((n) => h('option', { value: before + n })));
  });
  return { input, list };
}
