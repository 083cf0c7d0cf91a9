/* Sorting and filtering for comparison tables. The table is complete without this script;
   the script only reorders and hides rows. */
(function () {
  "use strict";
  var collator = new Intl.Collator("zh-CN");

  function cellSort(row, index) {
    var cell = row.cells[index];
    return cell ? cell.getAttribute("data-sort") || "" : "";
  }

  function makeSortable(table) {
    var heads = table.tHead.rows[0].cells;
    var body = table.tBodies[0];
    Array.prototype.forEach.call(heads, function (th, index) {
      var label = th.textContent;
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "sort-btn";
      btn.textContent = label;
      btn.title = "按“" + label + "”排序";
      th.textContent = "";
      th.appendChild(btn);
      th.classList.add("sortable-th");
      btn.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "num";
        var dir = th.getAttribute("aria-sort") === "descending" ? "ascending"
          : th.getAttribute("aria-sort") === "ascending" ? "descending"
          : (numeric ? "descending" : "ascending");
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        var rows = Array.prototype.slice.call(body.rows);
        var sign = dir === "ascending" ? 1 : -1;
        rows.sort(function (a, b) {
          var x = cellSort(a, index), y = cellSort(b, index);
          if (x === "" && y === "") return 0;
          if (x === "") return 1;  // unknown values always last
          if (y === "") return -1;
          if (numeric) return sign * (parseFloat(x) - parseFloat(y));
          return sign * collator.compare(x, y);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function csvValue(text) {
    text = text.replace(/\s+/g, " ").trim();
    // Text a spreadsheet would run as a formula gets an apostrophe; numbers (-1, 12.5%) stay.
    if (/^[=+\-@]/.test(text) && !/^[+-]?\d[\d,]*(\.\d+)?%?$/.test(text)) text = "'" + text;
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function cellText(cell) {
    // what the cell says, without the place and type a phone shows under an agency's name
    var text = "";
    Array.prototype.forEach.call(cell.childNodes, function (n) {
      if (!(n.classList && n.classList.contains("phone-label"))) text += n.textContent;
    });
    return text;
  }

  function downloadVisible(table, chosen) {
    var lines = [];
    var head = Array.prototype.map.call(table.tHead.rows[0].cells, function (c) { return csvValue(c.textContent); });
    lines.push(head.join(","));
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      if (row.hidden) return;
      lines.push(Array.prototype.map.call(row.cells, function (c) { return csvValue(cellText(c)); }).join(","));
    });
    var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    // named by the filter: nianbao-2020-福建省-公安局.csv, not one name for every choice
    var name = table.getAttribute("data-csv-name") || "table-筛选.csv";
    a.download = chosen.length ? name.replace("筛选", chosen.join("-").replace(/[\\/:*?"<>|]/g, "_")) : name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }

  // The lead's totals, for the rows a filter leaves: as the page's own (figures.totals), so
  // a filtered view never shows figures of agencies it hides.
  function grouped(n) { return n >= 10000 ? n.toLocaleString("en-US") : String(n); }

  function totalsText(rows, shown) {
    var received = 0, known = 0, disclosed = 0, handled = 0, pairs = 0;
    rows.forEach(function (row) {
      var r = row.getAttribute("data-received"), d = row.getAttribute("data-disclosed"),
          h = row.getAttribute("data-handled");
      if (r) { received += Number(r); known++; }
      if (d && h) { disclosed += Number(d); handled += Number(h); pairs++; }
    });
    var text = "筛选出的 " + shown + " 个机关本年新收申请合计 " + grouped(received) + " 件";
    if (known < shown) text += "（" + known + " 份报告可计算）";
    if (handled > 0) {
      var tenths = Math.floor((disclosed * 2000 + handled) / (2 * handled));  // half up
      text += "，予以公开占比 " + Math.floor(tenths / 10) + "." + (tenths % 10) + "%";
    } else if (pairs) {
      text += "，办理结果总计为 0，无法计算予以公开占比";
    }
    return text + "。";
  }

  // The place selects narrow each other: a province offers only its cities and counties, a
  // city only its counties (a choice the one above rules out goes back to 全部).
  var PLACES = ["province", "city", "county"];

  function makeFilter(form, table) {
    var selects = form.querySelectorAll("select[data-filter]");
    var output = form.querySelector("output");
    var rows = table.tBodies[0].rows;
    var byKey = {}, offered = {};
    Array.prototype.forEach.call(selects, function (s) {
      var key = s.getAttribute("data-filter");
      byKey[key] = s;
      offered[key] = Array.prototype.map.call(s.options, function (o) { return o.value; })
        .filter(Boolean);
    });

    function narrow() {
      PLACES.forEach(function (key, level) {
        var sel = byKey[key];
        if (!sel || !level) return;
        var above = PLACES.slice(0, level).filter(function (k) { return byKey[k] && byKey[k].value; });
        var present = {};
        Array.prototype.forEach.call(rows, function (row) {
          if (above.every(function (k) { return row.getAttribute("data-" + k) === byKey[k].value; })) {
            present[row.getAttribute("data-" + key)] = true;
          }
        });
        var keep = offered[key].filter(function (v) { return present[v]; });
        var now = Array.prototype.map.call(sel.options, function (o) { return o.value; }).slice(1);
        if (now.join("\n") === keep.join("\n")) return;
        var value = keep.indexOf(sel.value) >= 0 ? sel.value : "";
        var options = [new Option("全部", "")].concat(keep.map(function (v) { return new Option(v, v); }));
        sel.replaceChildren.apply(sel, options);
        sel.value = value;
      });
    }

    var totals = document.getElementById("year-totals");
    var note = document.getElementById("year-csv-note");
    var said = [totals && totals.textContent, note && note.textContent];

    function apply() {
      narrow();
      var shown = 0, kept = [];
      Array.prototype.forEach.call(rows, function (row) {
        var ok = Array.prototype.every.call(selects, function (s) {
          return !s.value || row.getAttribute("data-" + s.getAttribute("data-filter")) === s.value;
        });
        row.hidden = !ok;
        if (ok) { shown++; kept.push(row); }
      });
      var filtered = shown < rows.length;
      if (totals) totals.textContent = filtered ? totalsText(kept, shown) : said[0];
      if (note) note.textContent = filtered ? "（全部 " + rows.length + " 行，不受筛选影响；" +
        "筛选出的 " + shown + " 行请用“下载筛选结果（CSV）”）" : said[1];
      if (!output) return;
      var text = "显示 " + shown + " / " + rows.length + " 个机关";
      if (!shown) {
        var picked = Array.prototype.filter.call(selects, function (s) { return s.value; })
          .map(function (s) { return s.parentNode.firstChild.textContent.trim() + "“" + s.value + "”"; });
        text += "：没有同时符合" + picked.join("、") + "的机关，请更改或清除筛选。";
      }
      output.textContent = text;
    }
    function chosen() {
      return Array.prototype.filter.call(selects, function (s) { return s.value; })
        .map(function (s) { return s.value; });
    }

    // The filter lives in the address (?province=福建省&type=公安局), so a filtered table can
    // be shared and comes back on reload.
    function remember() {
      var params = new URLSearchParams(location.search);
      Array.prototype.forEach.call(selects, function (s) {
        var key = s.getAttribute("data-filter");
        if (s.value) params.set(key, s.value); else params.delete(key);
      });
      var query = params.toString();
      history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
    }

    function restore() {
      var params = new URLSearchParams(location.search);
      PLACES.concat(["type"]).forEach(function (key) {  // a place before the places under it
        var sel = byKey[key], value = params.get(key);
        if (!sel || !value) return;
        narrow();
        if (Array.prototype.some.call(sel.options, function (o) { return o.value === value; })) sel.value = value;
      });
    }

    form.addEventListener("change", function () { apply(); remember(); });
    form.addEventListener("reset", function () { setTimeout(function () { apply(); remember(); }, 0); });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    var dl = form.querySelector("[data-download-visible]");
    if (dl) dl.addEventListener("click", function () { downloadVisible(table, chosen()); });
    form.hidden = false;
    restore();
    apply();
  }

  // A table swiped sideways under its sticky name column comes to rest with a column's
  // start at that column's edge: a header half under it read "公开占比" for 不予公开占比.
  function snapColumns(scroller) {
    var first = scroller.querySelector("thead th");
    if (!first || getComputedStyle(first).position !== "sticky") return;
    function pad() {  // to the sticky column's right edge once stuck (left: -1px, over the border)
      var stuck = parseFloat(getComputedStyle(first).left) || 0;
      scroller.style.scrollPaddingLeft = (first.getBoundingClientRect().width + stuck) + "px";
    }
    pad();
    scroller.classList.add("snap-columns");
    window.addEventListener("resize", pad);
  }

  document.querySelectorAll("table.sortable").forEach(makeSortable);
  var form = document.getElementById("year-filter");
  var table = document.getElementById("year-table");
  if (form && table) makeFilter(form, table);
  document.querySelectorAll(".table-scroll").forEach(snapColumns);  // its header as sorting left it
})();
