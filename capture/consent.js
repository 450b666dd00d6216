/* consent.js -- the generic consent-banner pass, run in the page just before the shot
 * (Runtime.evaluate, returnByValue). capture/consent.c compiles this file in and hands it
 * out as consent_script(). It evaluates to a JSON text saying what it did:
 *   {"version":1, "layers":["css","generic","scroll"], "managers":["onetrust"],
 *    "hidden":[{"what":"div#cookie-box.notice","why":"consent words: cookie",
 *               "cover":0.12}],
 *    "kept":[{"what":"header.site","why":"a page header or navigation bar"}],
 *    "scroll":["html: overflow hidden","body: class modal-open"]}
 * The capture runs it in an isolated world (the page's DOM, not its JavaScript), so a page
 * cannot replace what it calls; the page still writes the DOM it reads, so the report
 * keeps to limits consent.c checks again: at most 64 entries a list, 200 bytes a string,
 * 60,000 bytes in all; what is left out is counted in "dropped".
 * Layers: "css" means a known manager's element was in the page (consent.css hid it);
 * "generic" that this pass hid a fixed or sticky notice by its words; "scroll" that it
 * unlocked scrolling. It never hides a page's own header or navigation bar, nor anything
 * that holds the page's main content. */
(function () {
  'use strict';
  var report = { version: 1, layers: [], managers: [], hidden: [], kept: [], scroll: [], dropped: 0 };
  var MAX_ENTRIES = 64, MAX_STRING = 200, MAX_TEXT = 60000;
  /* s cut to at most max UTF-8 bytes, on a character boundary (never half a surrogate
   * pair, which would not survive as JSON) */
  function cut(s, max) {
    s = String(s);
    if (s.length * 3 <= max)
      return s;
    var out = '', bytes = 0, chars = Array.from(s.slice(0, max));
    for (var i = 0; i < chars.length; i++) {
      var c = chars[i].codePointAt(0), n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (bytes + n > max)
        break;
      bytes += n;
      out += chars[i];
    }
    return out;
  }
  function add(list, entry) {
    if (list.length >= MAX_ENTRIES) {
      report.dropped++;
      return;
    }
    list.push(entry);
  }
  function finish() {
    var text = JSON.stringify(report);
    /* the lists' last entries go until the whole fits */
    while (new TextEncoder().encode(text).length > MAX_TEXT) {
      var longest = ['hidden', 'kept', 'scroll'].reduce(function (a, b) {
        return report[b].length > report[a].length ? b : a;
      });
      if (!report[longest].length)
        break;
      report[longest].pop();
      report.dropped++;
      text = JSON.stringify(report);
    }
    return text;
  }
  var doc = document, html = doc.documentElement, body = doc.body;
  if (!html || !body)
    return finish();

  /* Known managers, for the report only: consent.css does the hiding. One or two root
   * selectors each; tests/capture/test_consent.py checks they are in consent.css. */
  var MANAGERS = [
    ['onetrust', '#onetrust-consent-sdk, #onetrust-banner-sdk'],
    ['cookiebot', '#CybotCookiebotDialog'],
    ['didomi', '#didomi-host'],
    ['quantcast', '#qc-cmp2-container, .qc-cmp2-container'],
    ['trustarc', '#truste-consent-track, .truste_overlay'],
    ['usercentrics', '#usercentrics-root, #usercentrics-cmp-ui'],
    ['sourcepoint', 'div[id^="sp_message_container_"]'],
    ['osano', '.osano-cm-window'],
    ['termly', '#termly-code-snippet-support'],
    ['complianz', '#cmplz-cookiebanner-container'],
    ['cookieyes', '.cky-consent-container, #cookie-law-info-bar'],
    ['iubenda', '#iubenda-cs-banner']
  ];
  for (var m = 0; m < MANAGERS.length; m++) {
    try {
      if (doc.querySelector(MANAGERS[m][1]))
        add(report.managers, MANAGERS[m][0]);
    } catch (e) { /* a selector this engine does not know */ }
  }
  if (report.managers.length)
    report.layers.push('css');

  /* Words that alone say "consent notice", in en, de, fr, es, it, pt, nl, ru, pl, tr, ja,
   * ko, zh ("cookie" covers most of them as written). */
  var STRONG = new RegExp([
    'cookie', 'consent', 'gdpr', 'ccpa', 'dsgvo',
    'einwilligung', 'zustimmung', 'datenschutzeinstellungen',
    'consentement', 'traceurs',
    'consentimiento', 'consenso', 'consentimento', 'toestemming',
    'куки', 'согласие', 'согласны',
    'ciastecz', 'zgodę', 'zgoda na', 'zgody na',
    'çerez',
    'クッキー', '同意',
    '쿠키', '동의',
    '小型文字檔案', '缓存文件'
  ].join('|'), 'i');
  /* Words that together (one of each) say it: privacy ... accept. */
  var PRIVACY = new RegExp([
    'privacy', 'datenschutz', 'confidentialité', 'données personnelles', 'privacidad',
    'datos personales', 'riservatezza', 'dati personali', 'privacidade', 'dados pessoais',
    'persoonsgegevens', 'конфиденциальн', 'персональн', 'prywatnoś', 'dane osobowe',
    'gizlilik', 'kişisel veri', 'プライバシー', '個人情報', '개인정보', '隐私', '隱私',
    '个人信息'
  ].join('|'), 'i');
  var ACCEPT = new RegExp([
    'accept', 'agree', 'allow all', 'akzeptier', 'alle erlauben', 'accepter', "j'accepte",
    'tout accepter', 'aceptar', 'acepto', 'accetta', 'aceitar', 'aceito', 'accepteren',
    'akkoord', 'принять', 'принимаю', 'akceptuj', 'zgadzam', 'kabul', '承諾', '許可',
    '허용', '接受', '允许'
  ].join('|'), 'i');
  var MARK = /cookie|consent|gdpr|\bcmp\b|privacy-?banner/i;

  var vw = window.innerWidth || html.clientWidth, vh = window.innerHeight || html.clientHeight;

  function describe(el) {
    var s = el.tagName.toLowerCase();
    if (el.id)
      s += '#' + el.id;
    var cls = typeof el.className === 'string' ? el.className.trim().split(/\s+/) : [];
    for (var i = 0; i < cls.length && i < 3; i++)
      if (cls[i])
        s += '.' + cls[i];
    return cut(s, 120);
  }
  function attrs(el) {
    return [el.id, typeof el.className === 'string' ? el.className : '',
            el.getAttribute('aria-label') || '', el.getAttribute('role') || '',
            el.tagName === 'IFRAME' ? (el.getAttribute('src') || '') + ' ' + (el.title || '') : '']
      .join(' ');
  }
  function isChrome(el) {
    var tag = el.tagName, role = (el.getAttribute('role') || '').toLowerCase();
    if (tag === 'HEADER' || tag === 'NAV' || role === 'banner' || role === 'navigation' ||
        role === 'menubar')
      return true;
    return !!el.querySelector('nav, [role="navigation"], [role="menubar"]');
  }
  function holdsContent(el) {
    if (el.querySelector('main, article, [role="main"]'))
      return true;
    var all = (body.innerText || '').length, mine = (el.innerText || '').length;
    return all > 2000 && mine > all / 2;
  }

  /* Outermost fixed or sticky elements (their subtrees are not walked again). */
  var fixed = [], seen = 0;
  var walker = doc.createTreeWalker(body, NodeFilter.SHOW_ELEMENT, {
    acceptNode: function (el) {
      if (++seen > 40000)
        return NodeFilter.FILTER_REJECT;
      var pos = getComputedStyle(el).position;
      if (pos === 'fixed' || pos === 'sticky') {
        fixed.push(el);
        return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_SKIP;
    }
  });
  while (walker.nextNode()) { /* acceptNode collects */ }

  function geometry(el) {
    var cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden' || parseFloat(cs.opacity) < 0.05)
      return null;
    var r = el.getBoundingClientRect();
    var w = Math.min(r.right, vw) - Math.max(r.left, 0);
    var h = Math.min(r.bottom, vh) - Math.max(r.top, 0);
    if (w <= 0 || h <= 0)
      return null;
    var cover = (w * h) / (vw * vh);
    var edge = r.top <= vh * 0.15 || r.bottom >= vh * 0.85;
    var role = (el.getAttribute('role') || '').toLowerCase();
    var dialog = el.tagName === 'DIALOG' || role === 'dialog' || role === 'alertdialog' ||
                 el.getAttribute('aria-modal') === 'true';
    /* large, docked at an edge, a dialog, or a box of some size over the content */
    return { cover: cover, edge: edge, large: cover >= 0.2 || dialog || cover >= 0.05 };
  }
  function hide(el, why, cover) {
    el.style.setProperty('display', 'none', 'important');
    add(report.hidden, { what: describe(el), why: cut(why, MAX_STRING),
                         cover: Math.min(1, Math.max(0, Math.round(cover * 100) / 100)) });
  }

  var rest = [];
  for (var i = 0; i < fixed.length; i++) {
    var el = fixed[i], g = geometry(el);
    if (!g)
      continue;
    if (!g.large && !g.edge) {
      rest.push([el, g]);
      continue;
    }
    var text = (el.innerText || '').slice(0, 8000), marks = attrs(el);
    var strong = STRONG.exec(text) || MARK.exec(marks);
    var words = strong ? strong[0] : null;
    if (!words) {
      var p = PRIVACY.exec(text), a = ACCEPT.exec(text);
      if (p && a)
        words = p[0] + ' + ' + a[0];
    }
    if (!words) {
      rest.push([el, g]);
      continue;
    }
    if (isChrome(el) && !MARK.test(marks)) {
      add(report.kept, { what: describe(el), why: 'a page header or navigation bar' });
      continue;
    }
    if (holdsContent(el)) {
      add(report.kept, { what: describe(el), why: 'holds the page\'s main content' });
      continue;
    }
    hide(el, 'consent words: ' + words.toLowerCase(), g.cover);
  }
  /* A dimming backdrop left behind by a notice just hidden: large, nearly textless. */
  if (report.hidden.length || report.managers.length) {
    for (var j = 0; j < fixed.length; j++) {
      var b = fixed[j];
      if (b.style.getPropertyValue('display') === 'none')
        continue;
      var gb = geometry(b);
      if (gb && gb.cover >= 0.6 && (b.innerText || '').trim().length < 20 &&
          !b.querySelector('img, video, canvas, svg, iframe') && !isChrome(b))
        hide(b, 'backdrop of a consent notice', gb.cover);
    }
  }
  if (report.hidden.length)
    report.layers.push('generic');

  /* Scrolling: undo the locks a notice (or any modal) left on html and body. */
  var LOCK_CLASS = /^(modal-open|no-?scroll|overflow-hidden|scroll-?lock(ed)?|lock-?scroll|is-locked|locked|disable-?scroll|stop-?scroll(ing)?|has-modal|with-modal|cookie-?(consent|banner|notice)-?(open|active|visible)|cmp-open|consent-open|didomi-popup-open|sp-message-open|cky-modal-open|qc-cmp-ui-showing|iubenda-cs-visible)$/i;
  var acted = report.hidden.length > 0 || report.managers.length > 0;
  [html, body].forEach(function (node) {
    var name = node === html ? 'html' : 'body';
    var list = Array.prototype.slice.call(node.classList);
    list.forEach(function (c) {
      if (LOCK_CLASS.test(c)) {
        node.classList.remove(c);
        add(report.scroll, cut(name + ': class ' + c, MAX_STRING));
      }
    });
    var cs = getComputedStyle(node);
    var tall = Math.max(html.scrollHeight, body.scrollHeight) > vh + 1;
    if ((cs.overflowY === 'hidden' || cs.overflowY === 'clip') && (acted || tall)) {
      node.style.setProperty('overflow', 'visible', 'important');
      node.style.setProperty('overflow-y', 'visible', 'important');
      if (cs.height && parseFloat(cs.height) <= vh + 1 && tall)
        node.style.setProperty('height', 'auto', 'important');
      add(report.scroll, name + ': overflow ' + cs.overflowY);
    }
    if (cs.position === 'fixed') {
      var top = parseFloat(cs.top) || 0;
      node.style.setProperty('position', 'static', 'important');
      node.style.setProperty('top', 'auto', 'important');
      add(report.scroll, name + ': position fixed');
      if (top < 0)
        window.scrollTo(0, -top);
    }
  });
  if (report.scroll.length)
    report.layers.push('scroll');
  return finish();
})()
