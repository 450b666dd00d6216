// page_stats.js -- 统计 / Stats: the three charts (tags, timeline, outcomes, each drawn for
// its own size and the page's language by chart.js) with a period and a tag picker, and
// the capture queue and the browser endpoints that serve it.
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
  const fleet = h('div', { class: 'fleet' });

  // the browser endpoints (browser.endpoints of daemon.status): one row each
  function paintFleet(eps) {
    if (!Array.isArray(eps) || !eps.length) { fleet.replaceChildren(); return; }
    const head = ['ep_name', 'ep_state', 'ep_running', 'ep_done', 'ep_failed', 'ep_retried', 'ep_rtt', 'ep_error'];
    fleet.replaceChildren(h('h3', {}, t('ep_heading')), h('table', { class: 'endpoints' },
      h('thead', {}, h('tr', {}, head.map((k) => h('th', {}, t(k))))),
      h('tbody', {}, eps.map((e) => h('tr', { 'data-endpoint': e.name, 'data-state': e.state },
        h('td', {}, e.name), h('td', {}, t('ep_st_' + e.state)), h('td', {}, `${e.running}/${e.slots}`),
        h('td', {}, e.done), h('td', {}, e.failed), h('td', {}, e.retried),
        h('td', {}, e.rtt_ms == null ? '' : t('ms_n', { n: e.rtt_ms })),
        h('td', {}, e.last_error || ''))))));
  }

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
    paintFleet(st.browser && st.browser.endpoints);
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
    h('section', { class: 'panel' }, h('h3', {}, t('queue')), queue, jobs, fleet));
  paint();
  ctx.on('job', () => loadQueue());
  await loadQueue();
}
