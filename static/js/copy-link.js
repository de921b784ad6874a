/*
 * "Copy" buttons for a reference or a personal link: <button data-copy-target="element-id" hidden>.
 * The page works without this script (the text is selectable); the buttons appear only where the
 * browser lets us write to the clipboard.
 */
(function () {
  "use strict";

  function textOf(element) {
    return ("value" in element ? element.value : element.textContent).trim();
  }

  function setUp() {
    if (!navigator.clipboard || !window.isSecureContext) {
      return;
    }
    document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
      var source = document.getElementById(button.dataset.copyTarget);
      if (!source) {
        return;
      }
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(textOf(source)).then(function () {
          button.textContent = button.dataset.copiedText || label;
          button.setAttribute("aria-live", "polite");
          window.setTimeout(function () {
            button.textContent = label;
          }, 2500);
        });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
