// e2e_viewer.mjs -- cases of e2e.mjs (same daemon, same browser) for the shot viewer, the
// phone layout of the detail and tags pages and the history's times, over the matrix
// 1280x800 / 390x844 x zh / en x light / dark. The default run covers each of the eight
// corners once, spread over the cases; LINKSNAP_E2E_MATRIX=full runs every case in every
// corner it applies to (ctest web_e2e_viewer_full, label slow). Screenshots go to shotDir.
import path from 'node:path';

const DESK = { width: 1280, height: 800 }, PHONE = { width: 390, height: 844 };
const corner = (phone, lang, dark) => ({ phone, lang, dark, name: `${phone ? 390 : 1280} ${lang} ${dark ? 'dark' : 'light'}` });
const ALL = [];
for (const phone of [false, true]) for (const lang of ['zh', 'en']) for (const dark of [false, true]) ALL.push(corner(phone, lang, dark));
const pick = (full, names) => (full ? ALL : ALL.filter((c) => names.includes(c.name)));

export async function viewerCases(env) {
  const { test, newPage, url, rpc, addLink, fakeSnapshot, storeSql, waitFor, assert, shotDir } = env;
  const full = process.env.LINKSNAP_E2E_MATRIX === 'full';

  // a page for one corner (e2e.mjs's newPage); timezoneId is the user's zone (the page must use it)
  const open = (c, timezoneId = 'UTC') => newPage({ viewport: c.phone ? PHONE : DESK, locale: c.lang === 'zh' ? 'zh-CN' : 'en-US',
    dark: c.dark, mobile: c.phone, timezoneId });
  const shot = (page, name, c) => page.screenshot({ path: path.join(shotDir, `${name}-${c.name.replace(/ /g, '-')}.png`) });
  const done = async (page) => {   // (e2e.mjs keeps or closes the page after the case)
    assert(page.errors.length === 0, page.errors.join('\n'));
  };

  // fixtures made by the first case that needs them, shared by the corners after it
  let phoneLink = null, tagsMade = false, hist = null;
  // the 20,000 px fixture: 20 tiles of 1024 rows, the last one 544
  let tall = null;
  const tallShot = async () => {
    if (!tall) {
      const link = await addLink('https://example.com/very-tall-page', ['viewer'], '两万像素高的页面');
      tall = { link, sid: await fakeSnapshot(link.id, 1280, 20000) };
    }
    return tall;
  };

  for (const c of pick(full, ['1280 zh light', '390 en dark'])) {
    await test(`shot viewer: zoom, pan and tiles on a 20,000 px shot [${c.name}]`, async () => {
      const { link, sid } = await tallShot();
      const page = await open(c);
      await page.goto(url + `/links/${link.id}`);
      await page.waitForSelector('.shot img.tile');
      const n = await page.$$eval('.shot img.tile', (els) => els.length);
      assert(n === 20, 'tiles in the page: ' + n);
      // the page's own strip loads tiles as they come into view, not all at once
      assert(await page.$eval('.shot img.tile:last-child', (img) => !img.getAttribute('src')), 'the last tile waits');
      await page.click('.shot img.tile', { position: { x: 40, y: 40 } });
      await page.waitForSelector('dialog.viewer[open]');
      const first = await page.evaluate(() => {
        const d = document.querySelector('dialog.viewer'), pane = d.querySelector('.viewer-pane');
        const cv = d.querySelector('.viewer-canvas');
        return { mode: d.dataset.mode, w: cv.offsetWidth, h: cv.offsetHeight, pw: pane.clientWidth, sw: pane.scrollWidth,
          png: d.querySelector('a.v-png').getAttribute('href'), mid: !!d.querySelector('img.tile[data-tile="10"]').getAttribute('src') };
      });
      assert(first.png === `/snapshots/${sid}/full.png?download=1`, 'PNG link: ' + first.png);
      assert(!first.mid, 'tile 10 is not loaded before it comes near');
      if (c.phone) {
        // a phone opens at 100% of the shot's CSS width, scrolled sideways
        assert(first.mode === '1' && first.w === 1280 && first.sw > first.pw, 'phone opens at 100%: ' + JSON.stringify(first));
      } else {
        assert(first.mode === 'fit' && Math.abs(first.w - first.pw) <= 1, 'desktop opens fitting the width: ' + JSON.stringify(first));
      }
      const state = () => page.evaluate(() => {
        const d = document.querySelector('dialog.viewer'), pane = d.querySelector('.viewer-pane');
        const cv = d.querySelector('.viewer-canvas');
        return { zoom: Number(d.dataset.zoom), w: cv.offsetWidth, h: cv.offsetHeight, x: pane.scrollLeft, y: pane.scrollTop,
          level: d.querySelector('.viewer-level').textContent };
      });
      await page.keyboard.press('0');
      let s = await state();
      assert(s.zoom === 1 && s.w === 1280 && s.h === 20000, '0 is 100%: ' + JSON.stringify(s));
      await page.keyboard.press('+');
      s = await state();
      assert(s.zoom === 1.25 && s.w === 1600 && s.level === '125%', '+ zooms in: ' + JSON.stringify(s));
      await page.keyboard.press('-');
      s = await state();
      assert(s.zoom === 1 && s.w === 1280, '- zooms out: ' + JSON.stringify(s));
      await page.click('dialog.viewer button.v-200');
      s = await state();
      assert(s.zoom === 2 && s.w === 2560 && s.h === 40000, '200%: ' + JSON.stringify(s));
      const before = s;
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowDown');
      s = await state();
      assert(s.x > before.x && s.y > before.y, 'arrows pan: ' + JSON.stringify([before, s]));
      await page.click('dialog.viewer button.v-fit');
      s = await state();
      assert(s.w === await page.$eval('.viewer-pane', (p) => p.clientWidth), 'fit width again: ' + JSON.stringify(s));
      if (c.phone) {
        // two fingers apart: the zoom grows (pinch)
        await page.click('dialog.viewer button.v-100');
        const cdp = await page.context().newCDPSession(page);
        const box = await page.$eval('.viewer-pane', (p) => { const r = p.getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; });
        const pts = (d) => [{ x: box.x - d, y: box.y, id: 1 }, { x: box.x + d, y: box.y, id: 2 }];
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: pts(40) });
        for (const d of [60, 80, 100, 120]) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: pts(d) });
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
        s = await state();
        assert(s.zoom > 2.5 && s.zoom <= 4, 'pinch zooms in about 3x: ' + JSON.stringify(s));
        await page.click('dialog.viewer button.v-in');
        assert((await state()).zoom === Math.min(4, s.zoom * 1.25), 'the + button');
        await page.click('dialog.viewer button.v-100');
      }
      // the bottom of the shot loads when it is scrolled to, and only then
      await page.$eval('.viewer-pane', (p) => { p.scrollTop = p.scrollHeight; });
      await waitFor(page, () => {
        const img = document.querySelector('dialog.viewer img.tile[data-tile="19"]');
        return img.complete && img.naturalHeight === 544;
      });
      // every tile in sight fetched and decoded before the picture is taken
      await waitFor(page, () => {
        const pane = document.querySelector('.viewer-pane'), r = pane.getBoundingClientRect();
        return [...pane.querySelectorAll('img.tile')].filter((i) => { const b = i.getBoundingClientRect(); return b.bottom > r.top && b.top < r.bottom; })
          .every((i) => i.complete && i.naturalWidth > 0);
      });
      await page.evaluate(() => Promise.all([...document.querySelectorAll('dialog.viewer img.tile[src]')].map((i) => i.decode().catch(() => {}))));
      await shot(page, 'viewer', c);
      await page.keyboard.press('Escape');
      await waitFor(page, () => !document.querySelector('dialog.viewer'));
      assert(await page.evaluate(() => document.activeElement && document.activeElement.classList.contains('shot-open')), 'focus back on the opener');
      await done(page);
    });
  }

  for (const c of pick(full, ['390 zh light', '390 en light']).filter((x) => x.phone)) {
    await test(`phone detail: title, tags and actions above the shot; header not sticky; history cards [${c.name}]`, async () => {
      phoneLink ||= await (async () => {
        const l = await addLink('https://example.com/phone-detail', ['手机', 'phone'], '在手机上看的页面');
        await fakeSnapshot(l.id, 1280, 4000);
        return l;
      })();
      const link = phoneLink;
      const page = await open(c);
      await page.goto(url + `/links/${link.id}`);
      await page.waitForSelector('.shot img.tile');
      await page.waitForSelector('table.history tbody tr');
      const box = async (sel) => (await page.$(sel)).boundingBox();
      const shotTop = (await box('.shot')).y;
      for (const sel of ['.detail-title', '.detail-head .actions', '#d-title', '#d-tags', '#d-newtag']) {
        const b = await box(sel);
        assert(b.y + b.height <= shotTop, `${sel} (bottom ${b.y + b.height}) above the shot (${shotTop})`);
      }
      // 100% of the shot's CSS width, scrolled sideways; the toggle fits it
      let m = await page.evaluate(() => {
        const sc = document.querySelector('.shot-scroll'), img = document.querySelector('.shot img.tile');
        return { w: img.getBoundingClientRect().width, cw: sc.clientWidth, sw: sc.scrollWidth,
          pressed: document.querySelector('.shot-fit').getAttribute('aria-pressed') };
      });
      assert(m.w === 1280 && m.sw > m.cw && m.pressed === 'false', 'opens at 100%: ' + JSON.stringify(m));
      await page.$eval('.shot-scroll', (sc) => { sc.scrollLeft = 400; });
      assert(await page.$eval('.shot-scroll', (sc) => sc.scrollLeft) === 400, 'scrolls sideways');
      await page.click('.shot-fit');
      m = await page.evaluate(() => ({ w: document.querySelector('.shot img.tile').getBoundingClientRect().width,
        cw: document.querySelector('.shot-scroll').clientWidth, pressed: document.querySelector('.shot-fit').getAttribute('aria-pressed') }));
      assert(Math.abs(m.w - m.cw) < 1 && m.pressed === 'true', 'fit width: ' + JSON.stringify(m));
      await shot(page, 'detail-phone', c);
      // the header scrolls away with the page
      await page.evaluate(() => window.scrollTo(0, 1500));
      const head = await page.evaluate(() => {
        const el = document.querySelector('header.top');
        return { pos: getComputedStyle(el).position, bottom: el.getBoundingClientRect().bottom };
      });
      assert(head.pos !== 'sticky' && head.pos !== 'fixed' && head.bottom <= 0, 'header: ' + JSON.stringify(head));
      // each capture a card: no column header, cells labelled
      const hist = await page.evaluate(() => {
        const t = document.querySelector('table.history');
        const td = t.querySelector('tbody td');
        return { thead: getComputedStyle(t.querySelector('thead')).display, tr: getComputedStyle(t.querySelector('tbody tr')).display,
          label: getComputedStyle(td, '::before').content, over: t.scrollWidth - t.clientWidth };
      });
      assert(hist.thead === 'none' && hist.tr === 'block' && hist.label.length > 2 && hist.over <= 0, 'history cards: ' + JSON.stringify(hist));
      await done(page);
    });
  }

  for (const c of pick(full, ['390 zh dark']).filter((x) => x.phone)) {
    await test(`phone tags: the tags page has no sideways overflow [${c.name}]`, async () => {
      if (!tagsMade) {
        for (const [i, tag] of ['数据库', '一个相当长的标签名称用来测试换行', 'reading-list-with-a-long-english-name', '设计'].entries()) {
          await addLink(`https://example.com/tags-phone/${i}`, [tag]);
        }
        tagsMade = true;
      }
      const page = await open(c);
      await page.goto(url + '/tags');
      await page.waitForSelector('table.tags tbody tr');
      const m = await page.evaluate(() => {
        const root = document.documentElement, panel = document.querySelector('table.tags').closest('.panel');
        const th = document.querySelectorAll('table.tags thead th')[2];
        const r = document.createRange();
        r.selectNodeContents(th);
        const lines = new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size;
        const clipped = [...document.querySelectorAll('table.tags tbody tr')].map((tr) => {
          const b = tr.querySelector('form.inline button'), bb = b.getBoundingClientRect(), pb = panel.getBoundingClientRect();
          const br = document.createRange();
          br.selectNodeContents(b);
          const bl = new Set([...br.getClientRects()].map((x) => Math.round(x.top))).size;
          return bb.right <= pb.right && bb.left >= pb.left && b.scrollWidth <= b.clientWidth + 1 && bb.width > 20 && bl === 1;
        });
        return { page: [root.scrollWidth, root.clientWidth], panel: [panel.scrollWidth, panel.clientWidth],
          head: th.textContent, lines, clipped };
      });
      assert(m.page[0] <= m.page[1], 'page overflows: ' + JSON.stringify(m));
      assert(m.panel[0] <= m.panel[1], 'tags panel overflows: ' + JSON.stringify(m));
      assert(m.lines === 1, `"${m.head}" on one line: ` + JSON.stringify(m));
      assert(m.clipped.every(Boolean), 'Rename whole and on one line in every row: ' + JSON.stringify(m));
      await shot(page, 'tags-phone', c);
      await done(page);
    });
  }

  for (const c of pick(full, ['1280 en light', '1280 zh dark', '1280 en dark'])) {
    await test(`history times: to the second in the user's zone, the shown capture marked [${c.name}]`, async () => {
      hist ||= await (async () => {
        const l = await addLink('https://example.com/history-seconds', ['history'], '历史时间');
        const o = await fakeSnapshot(l.id, 1280, 1200), n = await fakeSnapshot(l.id, 1280, 1200);
        // 7 s apart, as two captures of the same minute can be
        await storeSql('UPDATE snapshots SET created_at = (SELECT created_at FROM snapshots WHERE id = ?) - 7000 WHERE id = ?', [n, o]);
        return { link: l, older: o, newer: n };
      })();
      const { link, older, newer } = hist;
      const snaps = (await rpc('snapshot.list', { link_id: link.id })).snapshots;
      // fixed offsets, so the expected clock needs no zone data: +08:00, +05:30
      const [zone, offMin] = c.lang === 'zh' ? ['Asia/Shanghai', 480] : ['Asia/Kolkata', 330];
      const page = await open(c, zone);
      await page.goto(url + `/links/${link.id}`);
      await page.waitForSelector(`table.history tr[data-snapshot-id="${older}"]`);
      const rows = await page.$$eval('table.history tbody tr', (trs) => trs.map((tr) => ({ id: Number(tr.dataset.snapshotId),
        text: tr.querySelector('td').textContent, current: tr.getAttribute('aria-current'), bg: getComputedStyle(tr).backgroundColor })));
      for (const r of rows) {
        const s = snaps.find((x) => x.id === r.id);
        const local = new Date(new Date(s.created_at).getTime() + offMin * 60000);
        const want = [local.getUTCHours(), local.getUTCMinutes(), local.getUTCSeconds()];
        const got = /(\d{1,2}):(\d{2}):(\d{2})(?:\s*([AP]M))?/i.exec(r.text);
        assert(got, 'a time with seconds: ' + r.text);
        let hh = Number(got[1]);
        if (got[4]) hh = (hh % 12) + (/pm/i.test(got[4]) ? 12 : 0);
        assert(JSON.stringify([hh, Number(got[2]), Number(got[3])]) === JSON.stringify(want), `${r.text} is ${want} in ${zone}`);
      }
      const texts = rows.map((r) => r.text);
      assert(new Set(texts).size === texts.length, 'captures read apart: ' + texts);
      const cur = rows.filter((r) => r.current === 'true');
      assert(cur.length === 1 && cur[0].id === newer, 'the shown capture is marked: ' + JSON.stringify(rows));
      assert(rows.find((r) => r.id === older).bg !== cur[0].bg, 'and looks marked: ' + JSON.stringify(rows));
      await page.click(`table.history tr[data-snapshot-id="${older}"] button`);
      await waitFor(page, (id) => document.querySelector('table.history tr[aria-current="true"]')?.dataset.snapshotId === String(id), older);
      await waitFor(page, () => [...document.querySelectorAll('.shot img.tile[src]')].every((i) => i.complete));
      await shot(page, 'history', c);
      await done(page);
    });
  }
}
