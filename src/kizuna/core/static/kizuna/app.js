// Kizuna's page behaviour: navigation toggle, IME-safe forms, charts from json_script data.
// Loaded with a CSP nonce; no inline handlers anywhere.
(function () {
  "use strict";

  // The Enter that confirms a Japanese IME conversion must never submit a form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.isComposing || event.keyCode === 229)) {
      const target = event.target;
      if (target && target.tagName === "INPUT") event.preventDefault();
    }
  }, true);

  function initNavToggle(root) {
    root.querySelectorAll("[data-nav-toggle]").forEach(function (button) {
      const nav = document.getElementById(button.getAttribute("aria-controls"));
      button.addEventListener("click", function () {
        const open = nav.classList.toggle("open");
        button.setAttribute("aria-expanded", open ? "true" : "false");
      });
    });
  }

  // Okabe–Ito palette, the same everywhere.
  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"];

  function initCharts(root) {
    if (typeof Chart === "undefined") return;
    Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.ready) return;
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      const spec = JSON.parse(source.textContent);
      spec.data.datasets.forEach(function (ds, i) {
        const colour = ds.color || PALETTE[i % PALETTE.length];
        ds.backgroundColor = ds.backgroundColor || colour;
        ds.borderColor = ds.borderColor || colour;
        delete ds.color;
      });
      spec.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, spec.options || {});
      new Chart(canvas, spec);
      canvas.dataset.ready = "1";
    });
  }

  function init(root) {
    initNavToggle(root);
    initCharts(root);
    root.querySelectorAll("select[data-navigate]").forEach(function (select) {
      select.addEventListener("change", function () {
        window.location.href = select.dataset.navigate + select.value + "/";
      });
    });
    root.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("submit", function (event) {
        if (!window.confirm(el.dataset.confirm)) event.preventDefault();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { initCharts(event.target); });
})();
