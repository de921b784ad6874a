/*
 * Camera scanning on the check-in page, where the browser can read QR codes by itself
 * (the BarcodeDetector API). Elsewhere the button stays hidden: staff type the reference or use a
 * USB or phone scanner, which types into the search field like a keyboard.
 */
(function () {
  "use strict";

  function setUp() {
    var box = document.querySelector("[data-scanner]");
    if (!box || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
      return;
    }
    var form = box.closest("form");
    var field = form.querySelector("input[name=q]");
    var video = box.querySelector("[data-scanner-video]");
    var start = box.querySelector("[data-scanner-start]");
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    var stream = null;

    function stop() {
      if (stream) {
        stream.getTracks().forEach(function (track) { track.stop(); });
        stream = null;
      }
      video.hidden = true;
    }

    function look() {
      if (!stream) {
        return;
      }
      detector.detect(video).then(function (codes) {
        if (codes.length) {
          field.value = codes[0].rawValue.trim();
          stop();
          form.submit();
        } else {
          window.setTimeout(look, 250);
        }
      }, function () {
        window.setTimeout(look, 500);
      });
    }

    box.hidden = false;
    start.addEventListener("click", function () {
      if (stream) {
        stop();
        return;
      }
      navigator.mediaDevices
        .getUserMedia({ video: { facingMode: "environment" }, audio: false })
        .then(function (media) {
          stream = media;
          video.srcObject = media;
          video.hidden = false;
          return video.play();
        })
        .then(look, stop);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
