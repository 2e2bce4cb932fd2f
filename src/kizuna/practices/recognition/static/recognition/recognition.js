/* Thanks form: filter the colleague list by typing, and show what the post will cost.
   Progressive enhancement only: the server checks every rule again. */
(function () {
  "use strict";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : "";
    });
  }

  function init() {
    var form = document.querySelector("form[data-thanks-form]");
    if (!form) { return; }
    var select = form.querySelector("select[name=recipients]");
    var points = form.querySelector("input[name=points]");
    var cost = form.querySelector("[data-cost]");
    var box = form.querySelector("[data-recipient-filter-box]");
    var filter = form.querySelector("[data-recipient-filter]");
    var remaining = parseInt(form.getAttribute("data-remaining"), 10) || 0;
    if (!select || !points || !cost) { return; }

    function update() {
      var n = select.selectedOptions.length;
      var p = parseInt(points.value, 10);
      if (!n || isNaN(p) || p < 0) { cost.textContent = ""; cost.classList.remove("rec-over"); return; }
      var total = n * p;
      var over = total > remaining;
      var template = cost.getAttribute(over ? "data-over" : "data-template");
      cost.textContent = fill(template, {
        cost: total.toLocaleString(), points: p.toLocaleString(), n: n,
        left: (remaining - total).toLocaleString(), remaining: remaining.toLocaleString()
      });
      cost.classList.toggle("rec-over", over);
    }

    if (box && filter) {
      box.hidden = false;
      filter.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); }  // never submit from here
      });
      filter.addEventListener("input", function () {
        var query = filter.value.trim().toLowerCase();
        Array.prototype.forEach.call(select.options, function (option) {
          var text = option.getAttribute("data-search") || option.text.toLowerCase();
          option.hidden = Boolean(query) && !option.selected && text.indexOf(query) === -1;
        });
      });
    }
    select.addEventListener("change", update);
    points.addEventListener("input", update);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
