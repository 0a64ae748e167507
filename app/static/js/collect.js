/* Progressive enhancements of the questionnaire: read the page aloud, fill a position.
   Everything works without this file; it only adds buttons where the browser can help. */
(function () {
  "use strict";

  function visible(el) {
    return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  }

  function setupReadAloud(box) {
    if (!("speechSynthesis" in window) || !window.SpeechSynthesisUtterance) return;
    var readLabel = box.getAttribute("data-read-label") || "Écouter";
    var stopLabel = box.getAttribute("data-stop-label") || "Arrêter";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button secondary small read-aloud";
    button.textContent = readLabel;
    button.setAttribute("aria-pressed", "false");

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
      var scope = box.tagName === "FORM" ? box : document.querySelector("main") || box;
      var parts = [];
      scope.querySelectorAll("h1, legend, label, .lead, .facts li, .hint, .note-text, .error-message")
        .forEach(function (el) {
          if (visible(el) && el.textContent.trim()) parts.push(el.textContent.trim());
        });
      var utterance = new window.SpeechSynthesisUtterance(parts.join(". \n"));
      utterance.lang = document.documentElement.lang === "en" ? "en-GB" : "fr-FR";
      utterance.rate = 0.95;
      utterance.onend = reset;
      utterance.onerror = reset;
      button.textContent = stopLabel;
      button.setAttribute("aria-pressed", "true");
      synth.speak(utterance);
    });

    var heading = document.querySelector("main h1");
    if (heading && heading.parentNode) {
      heading.parentNode.insertBefore(button, heading.nextSibling);
    } else {
      box.insertBefore(button, box.firstChild);
    }
  }

  function setupGeopoint(input) {
    if (!("geolocation" in navigator)) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button secondary small";
    button.textContent = input.getAttribute("data-geo-label") || "Ma position";
    var status = document.createElement("p");
    status.className = "small geo-status";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      status.textContent = input.getAttribute("data-geo-wait") || "…";
      navigator.geolocation.getCurrentPosition(
        function (position) {
          var c = position.coords;
          input.value = [
            c.latitude.toFixed(6),
            c.longitude.toFixed(6),
            (c.altitude || 0).toFixed(1),
            (c.accuracy || 0).toFixed(1)
          ].join(" ");
          status.textContent = input.getAttribute("data-geo-done") || "OK";
        },
        function () {
          status.textContent = input.getAttribute("data-geo-fail") || "";
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
    input.parentNode.insertBefore(status, input.nextSibling);
    input.parentNode.insertBefore(button, input.nextSibling);
  }

  var box = document.querySelector("[data-read-aloud]");
  if (box) setupReadAloud(box);
  document.querySelectorAll("input[data-geopoint]").forEach(setupGeopoint);
})();
