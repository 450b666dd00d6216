// page_stats.js -- 统计 / Stats: the three charts (tags, timeline, outcomes, each drawn for
// its own size and the page's language by chart.js) with a period and a tag picker, and
// the capture queue.
import { h, shownUrl } from './dom.js';
import { t } from './i18n.js';
import { isMissing, rpc } from './api.js';
import { badge } from './widgets.js';
import { chartFigure } from './chart.js';

export async function pageStats(main, ctx) {
  const q = new URLSearchParams(location.search);
  const days = h('select', { id: 's-days', name: 'days' }, [7, 30, 90, 365].map((n) =>
    h('option', { value: n, selected: String(n) === (q.get('days') || '30') }, t('days_n', { n }))));
  const tag = h('select', { id: 's-tag', name: 'tag' }, h('option', { value: '' }, t('all_tags')));
  const charts = h('div', { class: 'charts' });
  const queue = h('dl', { class: 'queue' });
  const jobs = h('ul', { class: 'jobs' });

  function paint() {
    const p = { days: days.value, tag: tag.value };
    const s = new URLSearchParams(p);
    if (!tag.value) s.delete('tag');
    history.replaceState(null, '', '/stats?' + s.toString());
    charts.replaceChildren(chartFigure('tags', { top: 15 }), chartFigure('timeline', p), chartFigure('outcomes', p));
  }

  async function loadQueue() {
    const st = await rpc('daemon.status');
    queue.replaceChildren(...[['q_queued', st.queue.queued], ['q_running', st.queue.running], ['q_links', st.links],
      ['q_snapshots', st.snapshots], ['q_tags', st.tags]].map(([k, v]) => h('div', {}, h('dt', {}, t(k)), h('dd', {}, v))));
    try {
      const r = await rpc('job.list', { state: 'running' });
      const r2 = await rpc('job.list', { state: 'queued' });
      jobs.replaceChildren(...[...r.jobs, ...r2.jobs].slice(0, 20).map((j) =>
        h('li', {}, badge(j.state), ' ', h('a', { href: `/links/${j.link_id}` }, shownUrl(j) || `#${j.link_id}`))));
    } catch (e) { if (!isMissing(e)) throw e; }
  }

  try {
    const { tags } = await rpc('tag.list');
    for (const x of tags.slice(0, 200)) tag.append(h('option', { value: x.name, selected: x.name === q.get('tag') }, x.name));
  } catch { /* the picker stays short */ }
  days.addEventListener('change', paint);
  tag.addEventListener('change', paint);
  main.append(
    h('section', { class: 'panel' }, h('h2', {}, t('stats_heading')),
      h('div', { class: 'row wrap' }, h('label', { for: 's-days' }, t('period')), days, h('label', { for: 's-tag' }, t('tag_name')), tag),
      charts),
    h('section', { class: 'panel' }, h('h3', {}, t('queue')), queue, jobs));
  paint();
  ctx.on('job', () => loadQueue());
  await loadQueue();
}
