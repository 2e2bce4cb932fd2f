// The survey answer page: Enter on a radio button or checkbox must not submit the whole
// survey by accident (browsers treat it as "submit the form"). Space selects, arrows move.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (event.key !== "Enter" || !target || target.tagName !== "INPUT") return;
    if (!target.closest(".answer-form")) return;
    if (target.type === "radio" || target.type === "checkbox") event.preventDefault();
  }, true);
})();
