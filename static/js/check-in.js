// The check-in desk's camera: reads a QR code and puts it in the search field, then sends the form.
// The browser's BarcodeDetector where it has one, else jsQR (vendored, loaded only when needed) on
// the camera's frames. Without a camera, or without JavaScript, staff type the member number.
// Loaded on every staff page (a boosted navigation does not run a page's own scripts): it does
// something only where a [data-scan] button is.
(function () {
  "use strict";
  var running = null; // {stream, button, view, timer}

  function hasCamera() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  function say(view, text) {
    var status = view.querySelector("[data-scan-status]");
    if (status) status.textContent = text || "";
  }

  function stop() {
    if (!running) return;
    clearTimeout(running.timer);
    running.stream.getTracks().forEach(function (track) { track.stop(); });
    running.view.hidden = true;
    running.view.querySelector("video").srcObject = null;
    running.button.textContent = running.button.dataset.msgStart;
    running.button.setAttribute("aria-pressed", "false");
    running = null;
  }

  function found(form, text) {
    var field = form.querySelector("input[name=q]");
    stop();
    field.value = text;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function loadJsQR(src) {
    return new Promise(function (resolve, reject) {
      if (window.jsQR) { resolve(window.jsQR); return; }
      var script = document.createElement("script");
      script.src = src;
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  // A function that reads a QR code from the video, resolving to its text or null.
  function makeReader(button, video) {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") < 0) throw new Error("no qr_code");
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function () {
          return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
        };
      }).catch(function () { return jsQRReader(button, video); });
    }
    return jsQRReader(button, video);
  }

  function jsQRReader(button, video) {
    var canvas = document.createElement("canvas");
    var context = canvas.getContext("2d", { willReadFrequently: true });
    return loadJsQR(button.dataset.jsqr).then(function (jsQR) {
      return function () {
        var width = video.videoWidth, height = video.videoHeight;
        if (!width || !height) return Promise.resolve(null);
        var scale = Math.min(1, 640 / Math.max(width, height)); // smaller frames read faster on a phone
        canvas.width = Math.round(width * scale);
        canvas.height = Math.round(height * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var code = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        return Promise.resolve(code ? code.data : null);
      };
    });
  }

  function start(button) {
    var form = button.closest("form");
    var view = form.querySelector("[data-scan-view]");
    var video = view.querySelector("video");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      running = { stream: stream, button: button, view: view, timer: null };
      view.hidden = false;
      button.textContent = button.dataset.msgStop;
      button.setAttribute("aria-pressed", "true");
      say(view, button.dataset.msgLooking);
      video.srcObject = stream;
      return video.play().then(function () { return makeReader(button, video); }).then(function (read) {
        function tick() {
          if (!running || running.stream !== stream) return;
          read().then(function (text) {
            if (text && running && running.stream === stream) found(form, text);
            else if (running && running.stream === stream) running.timer = setTimeout(tick, 150);
          }, function () { if (running) running.timer = setTimeout(tick, 300); });
        }
        tick();
      });
    }).catch(function () {
      stop();
      view.hidden = false;
      say(view, button.dataset.msgDenied);
    });
  }

  function setUp(root) {
    var buttons = (root.querySelectorAll ? root : document).querySelectorAll("[data-scan]");
    Array.prototype.forEach.call(buttons, function (button) {
      if (button.dataset.scanReady) return;
      button.dataset.scanReady = "1";
      if (!hasCamera()) return; // the button stays hidden: type the number instead
      button.hidden = false;
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        if (running) stop(); else start(button);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:load", function (event) { setUp(event.detail.elt); });
  // Leaving the page (a boosted link swaps the body) must turn the camera off.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (running && event.detail.target && event.detail.target.contains(running.button)) stop();
  });
  window.addEventListener("pagehide", stop);
})();
