/* pagetext.js -- the page's text, taken in a world of its own (capture/pagetext.c puts
 * Mozilla's Readability before this file and calls linksnapText(maxBytes, maxElems)).
 * Readability runs on a clone of the document (parse() edits what it is given; the picture
 * must not change). Returns {title, byline, lang, excerpt, blocks: [{kind, text}], text,
 * cut, article}: text only, never markup, every string cut to maxBytes of UTF-8 here, in
 * the page, before it crosses the wire. */
function linksnapText(maxBytes, maxElems) {
  "use strict";
  var cut = false;
  var used = 0;          /* UTF-8 bytes of the blocks so far */

  /* lone surrogates would not survive the wire as UTF-8: U+FFFD instead */
  function wellFormed(s) {
    if (typeof s !== "string")
      return "";
    if (s.toWellFormed)
      return s.toWellFormed();
    return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
                     function (m, pre) { return (pre || "") + "\uFFFD"; });
  }

  /* s cut to at most max UTF-8 bytes, on a character boundary */
  function cutBytes(s, max) {
    if (s.length * 3 <= max)
      return s;
    if (s.length > max)
      s = s.slice(0, max + 1);
    var bytes = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i), n = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
      if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.length) {
        n = 4;
      }
      if (bytes + n > max) {
        cut = true;
        return s.slice(0, i);
      }
      bytes += n;
      if (n === 4)
        i++;
    }
    return s;
  }

  function utf8Len(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;   /* a surrogate pair: 3 + 3 >= 4 */
    }
    return n;
  }

  /* one line of text: the markup's line breaks and runs of blanks are one space (U+3000,
   * the ideographic space, stays) */
  function clean(s, max) {
    return cutBytes(wellFormed(s), max).replace(/[ \t\n\r\f\v\u00a0]+/g, " ").trim();
  }

  var cjkRe = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]/g;
  function looksCjk(doc) {
    var lang = (doc.documentElement && doc.documentElement.lang || "").toLowerCase();
    if (/^(zh|ja|ko)\b/.test(lang))
      return true;
    var sample = doc.body ? (doc.body.textContent || "").slice(0, 4000) : "";
    var m = sample.match(cjkRe);
    return m !== null && m.length * 4 > sample.replace(/\s+/g, "").length;
  }

  /* the article's element as blocks of text, in document order */
  var blockKind = {H1: "h1", H2: "h2", H3: "h3", H4: "h4", H5: "h5", H6: "h6", P: "p",
                   LI: "li", BLOCKQUOTE: "quote", PRE: "pre", DT: "p", DD: "p",
                   FIGCAPTION: "p", CAPTION: "p", TD: "p", TH: "p"};
  var inline = {A: 1, ABBR: 1, B: 1, BDI: 1, BDO: 1, CITE: 1, CODE: 1, DATA: 1, DFN: 1, EM: 1,
                FONT: 1, I: 1, KBD: 1, MARK: 1, Q: 1, RUBY: 1, RT: 1, RP: 1, S: 1, SAMP: 1,
                SMALL: 1, SPAN: 1, STRONG: 1, SUB: 1, SUP: 1, TIME: 1, U: 1, VAR: 1, WBR: 1,
                BR: 1, IMG: 1, LABEL: 1, DEL: 1, INS: 1};
  var skip = {SCRIPT: 1, STYLE: 1, NOSCRIPT: 1, TEMPLATE: 1, SVG: 1, svg: 1, MATH: 1,
              BUTTON: 1, SELECT: 1, TEXTAREA: 1, IFRAME: 1, OBJECT: 1};
  function toBlocks(root) {
    var out = [], pending = "";
    function emit(kind, raw) {
      if (cut)
        return;
      var t = kind === "pre" ? cutBytes(wellFormed(raw), maxBytes - used).replace(/^\n+|\s+$/g, "")
                             : clean(raw, maxBytes - used);
      if (!t)
        return;
      used += utf8Len(t);
      out.push({kind: kind, text: t});
    }
    function flush() {
      if (pending)
        emit("p", pending);
      pending = "";
    }
    function walk(node) {
      for (var c = node.firstChild; c && !cut; c = c.nextSibling) {
        if (c.nodeType === 3) {
          pending += c.data;
        } else if (c.nodeType === 1) {
          var tag = c.tagName;
          if (skip[tag])
            continue;
          if (blockKind[tag] && !(tag === "BLOCKQUOTE" && c.querySelector("p,li,pre,h1,h2,h3,h4,h5,h6"))) {
            flush();
            emit(blockKind[tag], c.textContent);
          } else if (tag === "BLOCKQUOTE") {
            flush();
            var inner = toBlocks(c);
            for (var i = 0; i < inner.length; i++)
              out.push({kind: inner[i].kind === "p" ? "quote" : inner[i].kind, text: inner[i].text});
          } else if (inline[tag]) {
            pending += tag === "BR" ? "\n" : c.textContent;
          } else {
            flush();
            walk(c);
            flush();
          }
        }
      }
    }
    walk(root);
    flush();
    return out;
  }

  var result = {title: "", byline: "", lang: "", excerpt: "", blocks: [], text: "",
                cut: false, article: false};
  var doc = document;
  result.title = clean(doc.title, 2048);
  result.lang = clean(doc.documentElement ? doc.documentElement.lang : "", 64);
  var elems = doc.getElementsByTagName("*").length;
  if (typeof Readability === "function" && elems <= maxElems) {
    try {
      var clone = doc.cloneNode(true);
      var opts = {maxElemsToParse: maxElems, serializer: function (el) { return el; }};
      if (looksCjk(doc))
        opts.charThreshold = 100;   /* a short CJK article is still an article */
      var a = new Readability(clone, opts).parse();
      if (a && a.content) {
        result.article = true;
        if (a.title)
          result.title = clean(a.title, 2048);
        result.byline = clean(a.byline, 2048);
        if (a.lang)
          result.lang = clean(a.lang, 64);
        result.excerpt = clean(a.excerpt, 4096);
        result.blocks = toBlocks(a.content);
      }
    } catch (e) {
      /* a page Readability cannot take keeps its visible text */
    }
  }
  var body = doc.body;
  if (body) {
    /* the visible text (innerText); a page far over the cap gives its textContent,
     * which needs no layout of everything, and is cut as well */
    var raw = (body.textContent || "").length > maxBytes * 4 ? body.textContent : body.innerText;
    result.text = cutBytes(wellFormed(raw), maxBytes).replace(/[ \t\r\f\v\u00a0]+\n/g, "\n")
                  .replace(/\n{3,}/g, "\n\n").trim();
  }
  result.cut = cut;
  return result;
}
