// Small tables (a page's worth of rows) sort and filter in the browser: click a header to sort
// (again to reverse); type in the box above to keep matching rows. Large lists (opportunities,
// activities) sort and filter on the server through their URL instead.
(function () {
  function key(cell) {
    var raw = cell.getAttribute("data-sort") || cell.textContent.trim();
    var num = raw.replace(/[$,%\s]/g, "");
    return num !== "" && !isNaN(num) ? [0, parseFloat(num)] : [1, raw.toLowerCase()];
  }
  function compare(a, b) {
    if (a[0] !== b[0]) return a[0] - b[0];
    return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, index) {
      th.classList.add("clickable");
      th.setAttribute("tabindex", "0");
      function sort() {
        var descending = th.getAttribute("aria-sort") === "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var order = compare(key(r1.cells[index]), key(r2.cells[index]));
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
    var box = document.createElement("input");
    box.type = "search";
    box.placeholder = "Filter these rows";
    box.className = "table-filter";
    box.setAttribute("aria-label", "Filter the table");
    box.addEventListener("input", function () {
      var text = box.value.toLowerCase();
      Array.prototype.forEach.call(body.rows, function (row) {
        row.hidden = text !== "" && row.textContent.toLowerCase().indexOf(text) < 0;
      });
    });
    table.parentNode.insertBefore(box, table);
  });
})();
