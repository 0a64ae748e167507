// Pass informatique: small enhancements only; every page works without JavaScript.
(function () {
  "use strict";
  // The wallet card's "Print" button (hidden without JavaScript: browsers have their own menu).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // One tap is enough: stop a second submit of the same page while the first is on its way.
  document.querySelectorAll("form.pass-step").forEach(function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
})();
