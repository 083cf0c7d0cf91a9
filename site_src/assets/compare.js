/* Compare view: several agencies × one measure across years, drawn from compare/data.json
   (written at build time). The choice lives in the URL (?agencies=a,b&measure=id; on a big
   site also &places=code,code, the files the chosen agencies are in). */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8a6d00", "#56B4E9", "#000000"];
  var form = document.getElementById("compare-form");
  var measureSel = document.getElementById("measure");
  var checks = document.getElementById("agency-checks");
  var filterBox = document.getElementById("agency-filter");
  var heading = document.getElementById("compare-h");
  var chartBox = document.getElementById("compare-chart");
  var table = document.getElementById("compare-table");
  var caption = document.getElementById("compare-caption");
  var links = document.getElementById("compare-links");
  var desc = document.getElementById("measure-desc");
  var data = null;
  var missing = [];  // agencies the URL asked for that the site does not have
  var siteRoot = new URL("../", document.baseURI);
  // A big site lists no agencies in the page: the chosen ones and the agencies of the
  // place chosen in #agency-place (its file, data.places), narrowed by what is typed.
  var fromJson = checks.hasAttribute("data-from-json");
  var placeSel = document.getElementById("agency-place");
  var hint = document.getElementById("agency-hint");
  var MATCHES = 50;
  var legendShare = document.getElementById("legend-share");

  // As the other pages show numbers: shares with one decimal ("100.0%"; data.json has 100),
  // counts thousands-separated from 10,000.
  function fmt(v, m) {
    if (v === null || v === undefined) return "";
    if (m.percent) return v.toFixed(1) + "%";
    return Math.abs(v) >= 10000 ? v.toLocaleString("zh-CN") : String(v);
  }

  // One table cell: what it shows, why (title), and what the CSV gets (a number or nothing).
  // A share is null in data.json both when a cell it needs is blank and when 办理结果总计
  // (the measure "handled") is 0; the other pages show "—" for the second, blank for the first.
  function cell(entry, m, unpublished) {
    if (!entry && unpublished) {
      return { text: "未发布", title: "该年度有报告文件，但未能发布（原因见数据质量页）", cls: " na", csv: "" };
    }
    if (!entry) return { text: "—", title: "该年度没有这个机关的报告", cls: " na", csv: "" };
    var v = entry.values[m.id];
    if (v !== null && v !== undefined) {
      return { text: fmt(v, m), title: "", cls: "", csv: m.percent ? v.toFixed(1) : String(v) };
    }
    var count = entry.values[m.id.replace(/_share$/, "")];
    if (m.percent && entry.values.handled === 0 && count !== null && count !== undefined) {
      return { text: "—", title: "办理结果总计为 0，无法计算占比", cls: "", csv: "" };
    }
    return { text: "", title: "报告中相关单元格空白或未能读出，无法计算", cls: " blank", csv: "" };
  }

  function el(name, attrs, text) {
    var e = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function svgEl(name, attrs, text) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function state() {
    var params = new URLSearchParams(location.search);
    var asked = (params.get("agencies") || "").split(",").filter(Boolean);
    var known = data.agencies.map(function (a) { return a.id; });
    var ids = asked.filter(function (id) { return known.indexOf(id) >= 0; });
    missing = asked.filter(function (id) { return known.indexOf(id) < 0; });
    if (!ids.length) ids = known.slice(0, 4);
    var measure = params.get("measure");
    if (!data.measures.some(function (m) { return m.id === measure; })) measure = data.measures[0].id;
    return { agencies: ids, measure: measure };
  }

  function currentState() {
    var ids = [];
    checks.querySelectorAll("input[type=checkbox]").forEach(function (c) { if (c.checked) ids.push(c.value); });
    return { agencies: ids, measure: measureSel.value };
  }

  function selectedAgencies(s) {
    return data.agencies.filter(function (a) { return s.agencies.indexOf(a.id) >= 0; });
  }

  function csvValue(t) {
    if (/^[=+\-@]/.test(t) && !/^-?\d+(\.\d+)?$/.test(t)) t = "'" + t;  // not a formula
    return /[",\r\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  }

  function render(s) {
    var m = data.measures.filter(function (x) { return x.id === s.measure; })[0];
    var chosen = selectedAgencies(s);
    var params = new URLSearchParams();
    if (s.agencies.length) params.set("agencies", s.agencies.join(","));
    if (data.places && chosen.length) {  // the files the chosen agencies are in
      params.set("places", chosen.map(function (a) { return a.part; })
        .filter(function (p, i, all) { return all.indexOf(p) === i; }).join(","));
    }
    params.set("measure", s.measure);
    history.replaceState(null, "", location.pathname + "?" + params.toString());
    heading.textContent = m.label + "（" + m.unit + "）";
    caption.querySelector(".cap").textContent = "所选机关各年度" + m.label;
    desc.textContent = m.description;
    legendShare.hidden = !m.percent;

    // table
    var years = data.years;
    var thead = el("thead"), tr = el("tr");
    tr.appendChild(el("th", { scope: "col" }, "机关"));
    years.forEach(function (y) { tr.appendChild(el("th", { scope: "col", "class": "num" }, String(y))); });
    thead.appendChild(tr);
    var tbody = el("tbody");
    // numbers only in the year columns (a share in per cent, unformatted), empty when none
    var csv = [["机关（" + m.label + "，" + m.unit + "）"].concat(years.map(String))];
    chosen.forEach(function (a) {
      var row = el("tr"), th = el("th", { scope: "row" });
      var link = el("a", { href: new URL(a.id + "/", siteRoot).pathname }, a.name);
      th.appendChild(link);
      row.appendChild(th);
      var line = [a.name];
      years.forEach(function (y) {
        var c = cell(a.years[String(y)], m, (a.unpublished || []).indexOf(y) >= 0);
        var td = el("td", { "class": "num" + c.cls }, c.text);
        if (c.title) td.title = c.title;
        row.appendChild(td);
        line.push(c.csv);
      });
      tbody.appendChild(row);
      csv.push(line);
    });
    table.replaceChildren(caption, thead, tbody);
    if (!chosen.length) {
      var empty = el("tr"), td = el("td", { colspan: String(years.length + 1) }, "请至少选择一个机关。");
      empty.appendChild(td);
      tbody.appendChild(empty);
    }

    drawChart(chosen, m, years);

    // links: share and CSV of exactly this table
    links.textContent = "";
    var share = el("a", { href: location.href }, "本页链接（可分享）");
    links.appendChild(share);
    links.appendChild(document.createTextNode(" · "));
    var blob = new Blob(["\ufeff" + csv.map(function (r) { return r.map(csvValue).join(","); }).join("\r\n") + "\r\n"],
      { type: "text/csv;charset=utf-8" });
    var dl = el("a", { href: URL.createObjectURL(blob), download: "nianbao-对比-" + m.id + ".csv" }, "下载此表（CSV）");
    links.appendChild(dl);
  }

  function niceStep(raw, percent) {
    if (percent) return raw <= 10 ? 10 : 25;
    if (raw <= 1) return 1;  // counts: whole numbers only
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }

  function drawChart(chosen, m, years) {
    chartBox.textContent = "";
    if (!chosen.length || !years.length) return;
    // drawn at the container's own width, so labels keep their size on a phone
    var W = Math.round(Math.min(760, Math.max(300, chartBox.clientWidth || 640)));
    var H = W < 480 ? 240 : 300, L = 52, R = 20, T = 20, B = 36;
    var vals = [];
    chosen.forEach(function (a) {
      years.forEach(function (y) {
        var e = a.years[String(y)];
        if (e && e.values[m.id] !== null && e.values[m.id] !== undefined) vals.push(e.values[m.id]);
      });
    });
    var vmax = Math.max.apply(null, vals.concat([m.percent ? 100 : 1]));
    var vmin = Math.min.apply(null, vals.concat([0]));
    var step = niceStep((vmax - vmin) / 4, m.percent);
    vmax = Math.ceil(vmax / step) * step;
    vmin = Math.floor(vmin / step) * step;
    var span = (vmax - vmin) || 1;
    // years placed by their value: 2021 → 2024 is three steps, not one
    var first = years[0], last = years[years.length - 1];
    function x(i) { return last === first ? (L + W - R) / 2 : L + (W - L - R) * (years[i] - first) / (last - first); }
    function y(v) { return T + (H - T - B) * (vmax - v) / span; }
    var svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": "cmp-t" });
    svg.appendChild(svgEl("title", { id: "cmp-t" }, "所选机关各年度" + m.label + "折线图，数据见下表"));
    for (var v = vmin; v <= vmax + step / 2; v += step) {
      var yy = y(v);
      svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: yy, y2: yy, stroke: v === 0 ? "#7b8794" : "#e4e9f0" }));
      var label = m.percent ? Math.round(v) + "%" : fmt(Math.round(v * 100) / 100, m);
      svg.appendChild(svgEl("text", { x: L - 6, y: yy + 4, "text-anchor": "end" }, label));
    }
    years.forEach(function (yr, i) {
      svg.appendChild(svgEl("text", { x: x(i), y: H - B + 18, "text-anchor": "middle" }, String(yr)));
      if (i > 0) {
        var change = chosen.some(function (a) {
          var p = a.years[String(years[i - 1])], c = a.years[String(yr)];
          return p && c && p.template !== c.template;
        });
        if (change) {
          var bx = (x(i - 1) + x(i)) / 2;
          svg.appendChild(svgEl("line", { x1: bx, x2: bx, y1: T - 6, y2: H - B, stroke: "#9b2c2c", "stroke-dasharray": "4 3" }));
          svg.appendChild(svgEl("text", { x: bx + 4, y: T + 4, fill: "#9b2c2c" }, "模板变更"));
        }
      }
    });
    var legend = el("ul", { "class": "compare-legend" });
    chosen.forEach(function (a, n) {
      var color = COLORS[n % COLORS.length];
      var dash = n >= COLORS.length ? "6 3" : "";
      var d = "", pen = false;
      years.forEach(function (yr, i) {
        var e = a.years[String(yr)];
        var v = e ? e.values[m.id] : null;
        if (v === null || v === undefined) { pen = false; return; }
        d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1) + " ";
        pen = true;
        var dot = svgEl("circle", { cx: x(i), cy: y(v), r: 4, fill: color });
        dot.appendChild(svgEl("title", {}, a.name + " " + yr + "：" + fmt(v, m)));
        svg.appendChild(dot);
      });
      if (d) svg.insertBefore(svgEl("path", { d: d, fill: "none", stroke: color, "stroke-width": 2, "stroke-dasharray": dash }), svg.children[1]);
      var li = el("li");
      var sw = el("span", { "class": "sw", "aria-hidden": "true" });
      sw.style.background = color;
      li.appendChild(sw);
      li.appendChild(document.createTextNode(a.name));
      legend.appendChild(li);
    });
    chartBox.appendChild(svg);
    chartBox.appendChild(legend);
  }

  function fillChecks(selected, q) {
    var items = data.agencies.filter(function (a) { return selected.indexOf(a.id) >= 0; });
    var pool = data.agencies.filter(function (a) { return a.part === placeSel.value; });
    var more = [];
    function matches(a) { return (a.name + " " + a.region).indexOf(q) >= 0; }
    for (var i = 0; i < pool.length && more.length < MATCHES; i++) {
      var a = pool[i];
      if (selected.indexOf(a.id) < 0 && matches(a)) more.push(a);
    }
    checks.replaceChildren.apply(checks, items.concat(more).map(function (a) {
      var li = el("li"), label = el("label");
      var box = el("input", { type: "checkbox", name: "agencies", value: a.id });
      box.checked = selected.indexOf(a.id) >= 0;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + a.name + " "));
      label.appendChild(el("span", { "class": "muted small" }, a.region));
      li.appendChild(label);
      return li;
    }));
    var place = data.places.filter(function (p) { return p.code === placeSel.value; })[0];
    hint.textContent = more.length >= MATCHES ? "只列出前 " + MATCHES + " 个机关，请输入名称中的字筛选。"
      : !q ? "这里共 " + pool.length + " 个机关。"
      : more.length || items.some(matches) ? "找到 " + more.length + " 个匹配的机关。"
      : "找到 0 个匹配的机关：" + (place ? place.name : "这里") + "没有名称或地区含“" + q
        + "”的机关，可以换一个地区。";
  }

  // A big site's data.json lists places, not agencies: each place's agencies, whole, are
  // in data.parts + code + ".json", fetched when the place is chosen (or named in the URL).
  var loaded = {};

  function loadPlace(code) {
    if (!loaded[code]) {
      loaded[code] = fetch(new URL(data.parts + code + ".json", location.href)).then(function (r) {
        if (!r.ok) throw new Error(code + ".json: " + r.status);
        return r.json();
      }).then(function (agencies) {
        agencies.forEach(function (a) { a.part = code; data.agencies.push(a); });
      });
    }
    return loaded[code];
  }

  // A link from an agency's own pages names the agency and its region (GB/T 2260 code), not
  // the place whose page lists it, which depends on the whole site: its county's, its city's
  // or its province's. The most specific place that has it is the one.
  function placesOf(ids, region) {
    var codes = data.places.map(function (p) { return p.code; });
    var candidates = [region, region.slice(0, 4) + "00", region.slice(0, 2) + "0000"]
      .filter(function (c, i, all) { return codes.indexOf(c) >= 0 && all.indexOf(c) === i; });
    function next() {
      var code = candidates.shift();
      if (!code) return Promise.resolve(codes.slice(0, 1));
      return loadPlace(code).then(function () {
        var here = data.agencies.filter(function (a) { return a.part === code; })
          .map(function (a) { return a.id; });
        return ids.every(function (id) { return here.indexOf(id) >= 0; }) ? [code] : next();
      });
    }
    return next();
  }

  function init(json) {
    data = json;
    if (!data.places) return start();
    // the places the URL names (the chosen agencies' files), else the place of the region it
    // names, else the first place
    var params = new URLSearchParams(location.search);
    var codes = data.places.map(function (p) { return p.code; });
    var wanted = (params.get("places") || "").split(",")
      .filter(function (c) { return codes.indexOf(c) >= 0; });
    var ids = (params.get("agencies") || "").split(",").filter(Boolean);
    var region = params.get("region") || "";
    if (wanted.length || !ids.length || !/^\d{6}$/.test(region)) {
      return setUp(wanted.length ? wanted : codes.slice(0, 1));
    }
    return placesOf(ids, region).then(setUp);
  }

  function setUp(wanted) {
    data.places.forEach(function (p) {
      placeSel.appendChild(el("option", { value: p.code }, p.name + "（" + p.count + " 个机关）"));
    });
    placeSel.value = wanted[0];
    placeSel.closest("p").hidden = false;
    placeSel.addEventListener("change", function () {
      loadPlace(placeSel.value).then(function () {
        fillChecks(currentState().agencies, filterBox.value.trim());
      });
    });
    return Promise.all(wanted.map(loadPlace)).then(start);
  }

  function start() {
    var s = state();
    measureSel.value = s.measure;
    if (fromJson) fillChecks(s.agencies, "");
    if (missing.length) {  // say so, rather than show other agencies as if they were asked for
      hint.textContent = "没有找到链接中的机关（" + missing.join("、") + "），下面是"
        + (fromJson ? "这个地区" : "") + "的其他机关。";
    }
    checks.querySelectorAll("input[type=checkbox]").forEach(function (c) {
      c.checked = s.agencies.indexOf(c.value) >= 0;
    });
    form.hidden = false;
    form.addEventListener("change", function () { render(currentState()); });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    document.getElementById("select-none").addEventListener("click", function () {
      checks.querySelectorAll("input[type=checkbox]").forEach(function (c) { c.checked = false; });
      render(currentState());
    });
    filterBox.addEventListener("input", function () {
      var q = filterBox.value.trim();
      if (fromJson) { fillChecks(currentState().agencies, q); return; }
      var shown = 0;
      checks.querySelectorAll("li").forEach(function (li) {
        li.hidden = Boolean(q) && li.textContent.indexOf(q) < 0;
        if (!li.hidden) shown++;
      });
      hint.textContent = !q ? "" : shown ? "找到 " + shown + " 个匹配的机关。"
        : "没有名称或地区含“" + q + "”的机关。";
    });
    render(s);
    var resized = null;
    window.addEventListener("resize", function () {
      clearTimeout(resized);
      resized = setTimeout(function () { render(currentState()); }, 200);
    });
  }

  fetch(new URL("data.json", location.href)).then(function (r) {
    if (!r.ok) throw new Error("data.json: " + r.status);
    return r.json();
  }).then(init);
})();
