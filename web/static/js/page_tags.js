// page_tags.js -- 标签 / Tags: counts, rename, merge, delete, the tags chart beside; a tag's
// name leads to the links filtered by it.
import { h, announce, toast } from './dom.js';
import { t, tErr } from './i18n.js';
import { rpc } from './api.js';
import { chartFigure } from './chart.js';

export async function pageTags(main, ctx) {
  const body = h('tbody');
  const table = h('table', { class: 'tags' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), h('th', { scope: 'col' }, t('tag_name')),
      h('th', { scope: 'col' }, t('tag_count')), h('th', { scope: 'col' }, t('tag_actions')))), body);
  const into = h('input', { id: 'merge-into', name: 'into', placeholder: t('tag_new_name') });
  const mergeForm = h('form', { class: 'row wrap merge' },
    h('label', { for: 'merge-into' }, t('tag_merge')), into, h('button', { type: 'submit' }, t('tag_merge_btn')));
  const empty = h('p', { class: 'muted', hidden: true }, t('tag_none'));

  async function run(fn) {
    try { await fn(); } catch (e) { toast(t('error', { m: tErr(e) }), 'error'); }
    await load();
  }

  function row(tag) {
    const name = h('input', { class: 'rename', value: tag.name, 'aria-label': `${t('tag_rename')} ${tag.name}` });
    const rename = h('form', { class: 'inline' }, name, h('button', { type: 'submit' }, t('tag_rename')));
    rename.addEventListener('submit', (e) => {
      e.preventDefault();
      const to = name.value.trim();
      if (to && to !== tag.name) run(async () => { await rpc('tag.rename', { from: tag.name, to }); announce(to); });
    });
    return h('tr', { dataset: { tag: tag.name } },
      h('td', {}, h('input', { type: 'checkbox', class: 'pick', value: tag.name, 'aria-label': t('select_tag', { t: tag.name }) })),
      h('td', {}, h('a', { href: '/links?all=' + encodeURIComponent(tag.name), class: 'chip', dataset: { user: '' } }, tag.name)),
      h('td', { class: 'num' }, tag.count),
      h('td', {}, rename, h('button', { type: 'button', class: 'danger', onclick: () => {
        if (confirm(t('tag_confirm_delete', { t: tag.name, n: tag.count }))) run(() => rpc('tag.delete', { name: tag.name }));
      } }, t('tag_delete'))));
  }

  async function load() {
    const { tags } = await rpc('tag.list');
    body.replaceChildren(...tags.map(row));
    empty.hidden = tags.length > 0;
  }

  mergeForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const from = [...body.querySelectorAll('.pick:checked')].map((c) => c.value);
    const to = into.value.trim();
    if (from.length && to) run(() => rpc('tag.merge', { from, into: to }));
  });

  main.append(h('div', { class: 'cols' },
    h('section', { class: 'panel' }, h('h2', {}, t('tags_heading')), table, empty, mergeForm),
    h('section', { class: 'panel chart-panel' }, h('h3', {}, t('tags_chart')), chartFigure('tags', { top: 20 }))));
  ctx.on('tag', () => load());
  await load();
}
