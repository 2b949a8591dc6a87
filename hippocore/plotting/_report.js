// hippocore report: sort and filter the unit table; galleries follow the table's order.
// State lives in the URL hash (e.g. #sort=gridness:desc&label=grid&q=T3), so a view can be
// linked and is applied when the page opens.
(function () {
  "use strict";
  var table = document.getElementById("units");
  if (!table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var state = { sort: null, dir: "desc", q: "", label: "", source: "", item: "" };

  function cell(row, col) {
    return row.querySelector('td[data-col="' + col + '"]');
  }
  function numeric(col) {
    var th = table.tHead.querySelector('th[data-col="' + col + '"]');
    return th && th.getAttribute("data-type") === "num";
  }
  function key(row, col) {
    var td = cell(row, col);
    var v = td ? td.getAttribute("data-v") : "";
    if (numeric(col)) {
      var x = parseFloat(v);
      return isNaN(x) ? null : x;
    }
    return v === "" ? null : v;
  }
  function compare(a, b) {
    var ka = key(a, state.sort), kb = key(b, state.sort);
    if (ka === null && kb === null) { return a.rowIndex - b.rowIndex; }
    if (ka === null) { return 1; }   // missing values last, whatever the direction
    if (kb === null) { return -1; }
    var c = ka < kb ? -1 : (ka > kb ? 1 : 0);
    if (c === 0) { return Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order")); }
    return state.dir === "asc" ? c : -c;
  }
  function visible(row) {
    var q = state.q.toLowerCase();
    if (q && row.textContent.toLowerCase().indexOf(q) < 0) { return false; }
    if (state.label && key(row, "label") !== state.label) { return false; }
    if (state.source && key(row, "source") !== state.source) { return false; }
    if (state.item && key(row, "item") !== state.item) { return false; }
    return true;
  }
  function apply() {
    var ordered = rows.slice();
    if (state.sort) {
      ordered.sort(compare);
    } else {
      ordered.sort(function (a, b) {
        return Number(a.getAttribute("data-order")) - Number(b.getAttribute("data-order"));
      });
    }
    var rank = {};
    var shown = 0;
    ordered.forEach(function (row, i) {
      tbody.appendChild(row);
      rank[row.id] = i;
      var ok = visible(row);
      row.style.display = ok ? "" : "none";
      if (ok) { shown += 1; }
    });
    document.querySelectorAll(".gallery").forEach(function (gallery) {
      var cards = Array.prototype.slice.call(gallery.querySelectorAll(".card"));
      cards.sort(function (a, b) {
        return rank[a.getAttribute("data-row")] - rank[b.getAttribute("data-row")];
      });
      cards.forEach(function (card) {
        gallery.appendChild(card);
        var row = document.getElementById(card.getAttribute("data-row"));
        card.style.display = row && row.style.display === "none" ? "none" : "";
      });
    });
    heads.forEach(function (th) {
      if (th.getAttribute("data-col") === state.sort) { th.setAttribute("data-dir", state.dir); }
      else { th.removeAttribute("data-dir"); }
    });
    var count = document.getElementById("count");
    if (count) { count.textContent = shown + " of " + rows.length + " units"; }
  }
  function writeHash() {
    var parts = [];
    if (state.sort) { parts.push("sort=" + encodeURIComponent(state.sort) + ":" + state.dir); }
    ["q", "label", "source", "item"].forEach(function (k) {
      if (state[k]) { parts.push(k + "=" + encodeURIComponent(state[k])); }
    });
    history.replaceState(null, "", parts.length ? "#" + parts.join("&") : location.pathname);
  }
  function readHash() {
    location.hash.replace(/^#/, "").split("&").forEach(function (part) {
      var i = part.indexOf("=");
      if (i < 0) { return; }
      var k = part.slice(0, i), v = decodeURIComponent(part.slice(i + 1));
      if (k === "sort") {
        var j = v.lastIndexOf(":");
        state.sort = j < 0 ? v : v.slice(0, j);
        state.dir = j >= 0 && v.slice(j + 1) === "asc" ? "asc" : "desc";
      } else if (k in state) {
        state[k] = v;
      }
    });
    ["q", "label", "source", "item"].forEach(function (k) {
      var el = document.getElementById("filter-" + k);
      if (el) { el.value = state[k]; }
    });
  }
  heads.forEach(function (th) {
    th.addEventListener("click", function () {
      var col = th.getAttribute("data-col");
      if (state.sort === col) { state.dir = state.dir === "desc" ? "asc" : "desc"; }
      else { state.sort = col; state.dir = numeric(col) ? "desc" : "asc"; }
      apply();
      writeHash();
    });
  });
  ["q", "label", "source", "item"].forEach(function (k) {
    var el = document.getElementById("filter-" + k);
    if (!el) { return; }
    el.addEventListener("input", function () { state[k] = el.value; apply(); writeHash(); });
  });
  readHash();
  apply();
  document.body.setAttribute("data-ready", "1");
})();
