// A survey's answer page (templates/surveys/): the progress bar follows the questions answered, and
// each text answer's counter its length. Listens on the document, so it also works on a page that
// htmx swapped in. The page works without this file (the server renders both as they stood).
(function () {
  "use strict";
  function answered(fieldset) {
    if (fieldset.querySelector("input:checked")) return true;
    var text = fieldset.querySelector("textarea");
    return !!(text && text.value.trim());
  }

  function updateProgress(form) {
    var label = form.querySelector("[data-pattern]#survey-progress-label");
    var bar = form.querySelector(".survey-progress progress");
    if (!label || !bar) return;
    var count = Array.prototype.filter.call(form.querySelectorAll("fieldset.question"), answered).length;
    bar.value = count;
    bar.textContent = String(count);
    label.textContent = label.dataset.pattern.replace("{n}", String(count));
  }

  function updateCounter(textarea) {
    var counter = document.getElementById(textarea.id + "-count");
    if (!counter || !counter.dataset.pattern) return;
    // What the server will count: a line break is one character.
    var length = textarea.value.replace(/\r\n/g, "\n").length;
    counter.textContent = counter.dataset.pattern.replace("{n}", length.toLocaleString(document.documentElement.lang || undefined));
  }

  function onChange(event) {
    var target = event.target;
    if (target.tagName === "TEXTAREA") updateCounter(target);
    var form = target.closest && target.closest("form.survey-form");
    if (form) updateProgress(form);
  }
  document.addEventListener("input", onChange);
  document.addEventListener("change", onChange);
})();
