// Small progressive touches on top of htmx. The portal works without this file.
// The texts come, translated, from data attributes on #toast (see base.html).
(function () {
  "use strict";
  function toast(kind) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = box.dataset["msg" + kind] || box.dataset.msgError;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 6000);
  }
  // An htmx request htmx does not swap (an error status) or that never reached us: say so.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    toast(status === 429 || status === 403 ? String(status) : "Error");
  });
  document.addEventListener("htmx:sendError", function () { toast("Offline"); });
})();
