/* Search over the Pagefind index (built with Pagefind's extended binary for Chinese).
   Our own small UI: filters are exact choices, quotes are dropped (no phrase search). */
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var selects = form.querySelectorAll("select[data-filter]");
  var siteRoot = new URL("../", document.baseURI);  // this page is <root>/search/
  var pagefind = null;
  var seq = 0;
  var timer = null;

  function clean(q) {
    return q.replace(/["“”„「」『』'‘’]/g, " ").replace(/\s+/g, " ").trim();
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

  function excerpt(html) {
    // Pagefind gives escaped text with <mark> around hits: rebuild it from text nodes only.
    var doc = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    var frag = document.createDocumentFragment();
    doc.body.firstChild.childNodes.forEach(function (n) {
      if (n.nodeName === "MARK") {
        var m = document.createElement("mark");
        m.textContent = n.textContent;
        frag.appendChild(m);
      } else {
        frag.appendChild(document.createTextNode(n.textContent));
      }
    });
    return frag;
  }

  async function bundles() {
    // Big sites split the index into bundles (one per year, pagefind/<year>/), listed in
    // pagefind/nianbao-bundles.json; a small one has one bundle, pagefind/ itself.
    try {
      var res = await fetch(new URL("pagefind/nianbao-bundles.json", siteRoot).href);
      if (res.ok) {
        var list = (await res.json()).bundles;
        if (Array.isArray(list) && list.length) return list;
      }
    } catch (e) { /* no manifest: one bundle */ }
    return ["./"];
  }

  async function load() {
    if (!pagefind) {
      var list = await bundles();
      var base = new URL("pagefind/", siteRoot);
      var options = { baseUrl: siteRoot.pathname, excerptLength: 40 };
      var pf = await import(new URL(list[0] + "pagefind.js", base).href);
      await pf.options(options);
      for (var i = 1; i < list.length; i++) {
        // Pagefind's multisite search: every other bundle merged into the first one.
        await pf.mergeIndex(new URL(list[i], base).href, options);
      }
      await pf.init();
      pagefind = pf;
    }
    return pagefind;
  }

  async function run() {
    var q = clean(input.value);
    var filters = currentFilters();
    syncUrl(q, filters);
    var mine = ++seq;
    clearTimeout(timer);
    if (!q && !Object.keys(filters).length) {
      list.replaceChildren();
      status.textContent = "输入词语或选择筛选条件开始搜索。";
      return;
    }
    status.textContent = "正在搜索……";
    try {
      var pf = await load();
      var search = await pf.search(q || null, { filters: filters });
      if (mine !== seq) return;
      var results = await Promise.all(search.results.slice(0, 50).map(function (r) { return r.data(); }));
      if (mine !== seq) return;
      var items = [];
      var what = (q ? "“" + q + "”" : "所选条件");
      status.textContent = search.results.length
        ? "找到 " + search.results.length + " 份报告与" + what + "相关" + (search.results.length > 50 ? "，显示前 50 份" : "") + "。"
        : "没有找到与" + what + "相关的报告。";
      results.forEach(function (d) {
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
        if (q && d.excerpt) {
          var p = document.createElement("p");
          p.appendChild(excerpt(d.excerpt));
          li.appendChild(p);
        }
        items.push(li);
      });
      list.replaceChildren.apply(list, items);
    } catch (err) {
      status.textContent = "搜索索引无法加载。";
      throw err;
    }
  }

  function later() { clearTimeout(timer); timer = setTimeout(run, 250); }
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  input.addEventListener("input", later);
  selects.forEach(function (s) { s.addEventListener("change", run); });

  var params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  selects.forEach(function (s) {
    var v = params.get(s.getAttribute("data-filter"));
    if (v) s.value = v;
  });
  run();
})();
