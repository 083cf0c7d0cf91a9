/* Search over the Pagefind index (built with Pagefind's extended binary for Chinese).
   Our own small UI over its JS API, with filters as exact choices.

   Pagefind only proposes candidates. Its browser splits a name it does not know (江门, 新会区)
   into single characters and matches each as the start of a word, so 江 finds 九江 and 不存在
   finds every 不; and its quoted search finds nothing in Chinese (the browser splits words
   unlike the indexer). So a page is a result only when its text holds every word as typed
   (words split on spaces; a quoted phrase is one word; spaces and case do not count). The
   candidates are checked in Pagefind's order, over all bundles merged, a batch of page texts
   at a time, until a page of results is found; "显示更多" goes on from there. A Chinese
   word's candidates include the pages found by its first characters (see run). */
(function () {
  "use strict";
  var PAGE = 20;  // results shown at a time
  var ROUND = 500;  // candidates checked at most before the reader is asked whether to go on
  var QUOTES = /["“”„「」『』'‘’]/g;
  var SPACE = /[\s\u200b]/;  // Pagefind's page text has zero-width spaces between words
  var CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var selects = form.querySelectorAll("select[data-filter]");
  var siteRoot = new URL("../", document.baseURI);  // this page is <root>/search/
  var loading = null;
  var state = null;
  var seq = 0;
  var timer = null;

  function squash(s, at) {
    // s without spaces, lower-cased; at (when given) gets where each character is in s.
    var text = "";
    for (var i = 0; i < s.length; i++) {
      var c = s[i];
      if (SPACE.test(c)) continue;
      var lower = c.toLowerCase();
      text += lower.length === 1 ? lower : c;
      if (at) at.push(i);
    }
    return text;
  }

  function words(q) {
    // The words as typed: split on spaces, but a quoted phrase is one word.
    var out = [];
    q.split(QUOTES).forEach(function (part, i) {
      (i % 2 ? [part] : part.split(/\s+/)).forEach(function (w) {
        var shown = w.replace(/[\s\u200b]+/g, ""), key = squash(w);
        if (key && !out.some(function (o) { return o.key === key; })) out.push({ shown: shown, key: key });
      });
    });
    return out;
  }

  function currentFilters() {
    var f = {};
    selects.forEach(function (s) { if (s.value) f[s.getAttribute("data-filter")] = s.value; });
    return f;
  }

  function syncUrl(q, filters) {
    var params = new URLSearchParams();
    if (q) params.set("q", q);
    Object.keys(filters).forEach(function (k) { params.set(k, filters[k]); });
    var qs = params.toString();
    history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
  }

  async function bundles() {
    // Big sites split the index into bundles (one per year, pagefind/<year>/), listed in
    // pagefind/nianbao-bundles.json; a small one has one bundle, pagefind/ itself.
    try {
      var res = await fetch(new URL("pagefind/nianbao-bundles.json", siteRoot).href);
      if (res.ok) {
        var names = (await res.json()).bundles;
        if (Array.isArray(names) && names.length) return names;
      }
    } catch (e) { /* no manifest: one bundle */ }
    return ["./"];
  }

  function load() {
    // Once, however many callers ask at once (merging a bundle twice doubles its results).
    loading = loading || (async function () {
      var names = await bundles();
      var base = new URL("pagefind/", siteRoot);
      var options = { baseUrl: siteRoot.pathname };
      var pf = await import(new URL(names[0] + "pagefind.js", base).href);
      await pf.options(options);
      for (var i = 1; i < names.length; i++) {
        // Pagefind's multisite search: every other bundle merged into the first one.
        await pf.mergeIndex(new URL(names[i], base).href, options);
      }
      await pf.init();
      return pf;
    })();
    loading.catch(function () { loading = null; });
    return loading;
  }

  function excerpt(content, keys) {
    // The text around the first place the page has the first word, every word marked.
    var flat = { at: [] };
    flat.text = squash(content, flat.at);
    var first = flat.text.indexOf(keys[0]);
    var from = Math.max(0, first - 24), to = Math.min(flat.text.length, first + keys[0].length + 56);
    var marks = [];
    keys.forEach(function (k) {
      for (var i = flat.text.indexOf(k, from); i >= 0 && i + k.length <= to; i = flat.text.indexOf(k, i + 1)) {
        marks.push([flat.at[i], flat.at[i + k.length - 1] + 1]);
      }
    });
    marks.sort(function (a, b) { return a[0] - b[0]; });
    var p = document.createElement("p");
    var pos = flat.at[from];
    function text(end) {
      if (end > pos) p.appendChild(document.createTextNode(content.slice(pos, end).replace(/[\s\u200b]+/g, " ")));
    }
    if (from > 0) p.appendChild(document.createTextNode("…"));
    marks.forEach(function (m) {
      if (m[1] <= pos) return;  // inside a mark already made
      text(m[0]);
      var mark = document.createElement("mark");
      mark.textContent = content.slice(Math.max(pos, m[0]), m[1]);
      p.appendChild(mark);
      pos = m[1];
    });
    text(flat.at[to - 1] + 1);
    if (to < flat.text.length) p.appendChild(document.createTextNode("…"));
    return p;
  }

  function item(hit, s) {
    var d = hit.data;
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.className = "r-title";
    a.href = d.url;
    a.textContent = (d.meta && d.meta.title) || d.url;
    li.appendChild(a);
    if (d.meta && d.meta.region) {
      var meta = document.createElement("div");
      meta.className = "r-meta";
      meta.textContent = d.meta.region;
      li.appendChild(meta);
    }
    if (s.keys.length) li.appendChild(excerpt(d.content, hit.phrase ? [s.phrase] : s.keys));
    return li;
  }

  function say(s) {
    var done = s.next >= s.results.length, n = s.keys.length ? s.found.length : s.results.length;
    var shown = s.shown < n ? "，显示前 " + s.shown + " 份" : "";
    if (!s.keys.length) {
      status.textContent = n ? "找到 " + n + " 份符合所选条件的报告" + shown + "。" : "没有符合所选条件的报告。";
    } else if (done) {
      status.textContent = n ? "找到 " + n + " 份" + s.what + "的报告" + shown + "。"
        : "没有报告" + s.what + "。";
    } else {
      var checked = "（已逐字核对 " + s.results.length + " 份可能相关报告中的 " + s.next + " 份）";
      status.textContent = n ? "找到至少 " + n + " 份" + s.what + "的报告" + checked + shown + "。"
        : "还没有找到" + s.what + "的报告" + checked + "。";
    }
    more.hidden = (done || !s.keys.length) && s.shown >= n;
    more.textContent = n ? "显示更多" : "继续查找";
    more.removeAttribute("aria-disabled");
  }

  async function page(s, focus) {
    // Check candidates until a page more of results is found, then show it.
    var want = s.shown + PAGE, stop = s.next + ROUND, size = PAGE;
    status.textContent = "正在搜索……";
    // Not disabled: a disabled button loses the focus of the reader who pressed it.
    more.setAttribute("aria-disabled", "true");
    list.setAttribute("aria-busy", "true");
    while (s.found.length < want && s.next < Math.min(stop, s.results.length)) {
      var batch = s.results.slice(s.next, Math.min(s.next + size, stop));
      var data = await Promise.all(batch.map(function (r) { return r.data(); }));
      if (s.seq !== seq) return;
      data.forEach(function (d, k) {
        var hit = { data: d, order: s.next + k, rank: 0 };
        if (s.keys.length) {
          var text = squash(d.content);
          if (!s.keys.every(function (key) { return text.indexOf(key) >= 0; })) return;
          // The words side by side first, then the pages about them (in the title or the
          // place), then in Pagefind's order.
          var meta = d.meta || {}, about = squash((meta.title || "") + (meta.region || ""));
          hit.phrase = s.keys.length > 1 && text.indexOf(s.phrase) >= 0;
          hit.rank = (hit.phrase ? 0 : 2) + (s.keys.every(function (key) { return about.indexOf(key) >= 0; }) ? 0 : 1);
        }
        s.found.push(hit);
      });
      s.next += batch.length;
      size = Math.min(2 * size, 100);
      if (s.found.length < want && s.next < s.results.length) {
        status.textContent = "正在搜索……（已逐字核对 " + s.results.length + " 份可能相关报告中的 " + s.next + " 份）";
      }
    }
    var rest = s.found.slice(s.shown).sort(function (a, b) { return a.rank - b.rank || a.order - b.order; });
    s.found = s.found.slice(0, s.shown).concat(rest);
    var items = s.found.slice(s.shown, want).map(function (hit) {
      var li = item(hit, s);
      hit.data = null;  // shown: its page text is not needed any more
      return li;
    });
    items.forEach(function (li) { list.appendChild(li); });
    s.shown += items.length;
    list.removeAttribute("aria-busy");
    say(s);
    if (focus) {
      // On to the first new result; when there is none and the button went, to the last
      // result, or back to the words when there is no result at all.
      var last = list.lastElementChild;
      var to = items.length ? items[0].querySelector("a") : !more.hidden ? null : last ? last.querySelector("a") : input;
      if (to) to.focus();
    }
  }

  async function run() {
    var q = input.value.trim();
    var ws = words(q);
    var filters = currentFilters();
    syncUrl(q, filters);
    var mine = ++seq;
    clearTimeout(timer);
    state = null;
    more.hidden = true;
    more.removeAttribute("aria-disabled");
    list.removeAttribute("aria-busy");
    if (!ws.length && !Object.keys(filters).length) {
      list.replaceChildren();
      status.textContent = "输入词语或选择筛选条件开始搜索。";
      return;
    }
    status.textContent = "正在搜索……";
    try {
      var pf = await load();
      var search = await pf.search(ws.length ? q.replace(QUOTES, " ") : null,
                                   { filters: filters });
      var results = search.results;
      var heads = ws.map(function (w) {
        return CJK.test(w.shown[0]) ? w.shown.slice(0, w.shown.length > 2 ? 2 : 1) : w.shown;
      });
      if (heads.some(function (h, i) { return h !== ws[i].shown; })) {
        // Pagefind's indexer cuts Chinese by context: 行政复议 is one word on one page and
        // in pieces on another (政府信息公开行政复议), and the browser looks a word up whole
        // once the index knows it. Pages where it was cut come in by its first two
        // characters (a word of their own, as a rule; one, of a word of two); the page
        // text decides.
        var seen = {};
        results.forEach(function (r) { seen[r.id] = true; });
        var wide = await pf.search(heads.join(" "), { filters: filters });
        results = results.concat(wide.results.filter(function (r) { return !seen[r.id]; }));
      }
      if (mine !== seq) return;
      var quoted = ws.map(function (w) { return "“" + w.shown + "”"; });
      state = {
        seq: mine, results: results, next: 0, found: [], shown: 0,
        keys: ws.map(function (w) { return w.key; }),
        phrase: ws.map(function (w) { return w.key; }).join(""),
        what: quoted.length > 1 ? "同时含" + quoted.join("和") : "含" + quoted[0]
      };
      list.replaceChildren();
      await page(state, false);
    } catch (err) {
      if (mine !== seq) return;
      list.removeAttribute("aria-busy");
      status.textContent = "搜索索引无法加载。";
      throw err;
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(run, 250);
    // Start loading the index chunks the words need while the reader types (Pagefind's preload).
    var q = input.value.replace(QUOTES, " ").trim();
    if (q) load().then(function (pf) { return pf.preload(q, { filters: currentFilters() }); }).catch(function () {});
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  input.addEventListener("input", later);
  input.addEventListener("focus", function () { load().catch(function () {}); }, { once: true });
  selects.forEach(function (s) { s.addEventListener("change", run); });
  more.addEventListener("click", function () {
    if (state && state.seq === seq && more.getAttribute("aria-disabled") !== "true") {
      page(state, true).catch(function (err) { status.textContent = "搜索索引无法加载。"; throw err; });
    }
  });

  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  selects.forEach(function (s) {
    var v = params.get(s.getAttribute("data-filter"));
    if (v) s.value = v;
  });
  run();
})();
