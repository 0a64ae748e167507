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

  // "Écouter la page": read the page aloud with the phone's own voice, as on the questionnaire.
  // Only where the browser can speak; the labels come from the script tag (French or English).
  var script = document.querySelector("script[data-read-label]");
  var main = document.querySelector("main");
  if (!script || !main || !("speechSynthesis" in window) || !window.SpeechSynthesisUtterance) return;
  var readLabel = script.getAttribute("data-read-label");
  var stopLabel = script.getAttribute("data-stop-label");
  var READ = "h1, h2, h3, legend, label, p, li, dt, dd, figcaption, .pass-answers button";

  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  }

  function pageText() {
    var parts = [];
    main.querySelectorAll(READ).forEach(function (el) {
      // Read each piece once: skip what sits inside a piece already read, and hidden helpers.
      var parent = el.parentElement && el.parentElement.closest(READ);
      if (parent && main.contains(parent)) return;
      if (el.closest(".read-aloud, .visually-hidden, [hidden], nav")) return;
      var text = el.textContent.replace(/\s+/g, " ").trim();
      if (text && visible(el)) parts.push(text);
    });
    return parts.join(". \n");
  }

  var button = document.createElement("button");
  button.type = "button";
  button.className = "button secondary small read-aloud";
  button.setAttribute("aria-pressed", "false");
  button.textContent = readLabel;
  function reset() {
    button.textContent = readLabel;
    button.setAttribute("aria-pressed", "false");
  }
  button.addEventListener("click", function () {
    var synth = window.speechSynthesis;
    if (synth.speaking) {
      synth.cancel();
      reset();
      return;
    }
    var utterance = new window.SpeechSynthesisUtterance(pageText());
    utterance.lang = document.documentElement.lang === "en" ? "en-GB" : "fr-FR";
    utterance.rate = 0.95;
    utterance.onend = reset;
    utterance.onerror = reset;
    button.textContent = stopLabel;
    button.setAttribute("aria-pressed", "true");
    synth.speak(utterance);
  });
  // Right under the title; a question's title sits in its form, so the button goes before it.
  var heading = main.querySelector("h1");
  var form = heading && heading.closest("form");
  if (form) {
    form.parentNode.insertBefore(button, form);
  } else if (heading) {
    heading.parentNode.insertBefore(button, heading.nextSibling);
  } else {
    main.insertBefore(button, main.firstChild);
  }
})();
