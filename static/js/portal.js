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

  // The navigation's "More" menu (a <details>) closes, as menus do, on a click elsewhere or Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.more-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
  document.addEventListener("keydown", function (event) {
    var menu = event.key === "Escape" && document.querySelector("details.more-menu[open]");
    if (!menu) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });

  // After every htmx swap, focus moves into the new content, so keyboard and screen-reader users
  // carry on from there instead of from the top of the page (or from a button that is gone):
  // the content's [data-focus] or [autofocus] element, else its alert (an error summary), else
  // its first heading, else the first new element itself. Except while the user is typing or
  // choosing in the control whose own request this was (active search, a filter): focus stays.
  var swap = null; // the swap in progress: its target, what set it off, and the elements it added
  var CONTROLS = "input, select, textarea";
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail, request = detail.requestConfig || {};
    swap = detail.shouldSwap ? {
      target: detail.target, elt: request.elt, trigger: request.triggeringEvent, oob: [], added: []
    } : null;
  });
  // Out-of-band content (e.g. the new "Load more" link) is not what the user asked to see.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (swap) swap.oob = swap.oob.concat(Array.prototype.slice.call(event.detail.fragment.children));
  });
  // htmx fires htmx:load on each element a swap adds, before htmx:afterSettle.
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    if (swap && elt.nodeType === Node.ELEMENT_NODE && swap.oob.indexOf(elt) < 0) swap.added.push(elt);
  });
  document.addEventListener("htmx:afterSettle", function () {
    var done = swap;
    swap = null; // afterSettle fires once per settled element: act on the first
    if (done) focusNewContent(done);
  });

  function firstIn(nodes, selector) {
    for (var i = 0; i < nodes.length; i++) {
      var found = nodes[i].matches(selector) ? nodes[i] : nodes[i].querySelector(selector);
      if (found) return found;
    }
    return null;
  }

  function isTyping(done) {
    var active = document.activeElement;
    if (!active || !active.matches(CONTROLS) || !done.trigger || done.trigger.type === "submit") return false;
    // htmx gives focus back to a replaced control with the same id: compare ids too.
    var same = function (a, b) { return a === b || (!!a && !!b && !!a.id && a.id === b.id); };
    return same(done.elt, active) || (active.form != null && same(done.elt, active.form));
  }

  function focusNewContent(done) {
    var nodes = done.added.filter(function (node) { return node.isConnected; });
    if (!nodes.length && done.target.isConnected) nodes = [done.target];
    if (done.target === document.body) nodes = [document.getElementById("main") || document.body]; // a boosted page
    if (!nodes.length) return;
    var asked = firstIn(nodes, "[data-focus], [autofocus]");
    if (!asked && isTyping(done)) return;
    var elt = asked || firstIn(nodes, '[role="alert"]') || firstIn(nodes, "h1, h2, h3, h4, h5, h6") || nodes[0];
    if (!elt.matches(FOCUSABLE)) elt.setAttribute("tabindex", "-1");
    elt.focus();
  }
})();
