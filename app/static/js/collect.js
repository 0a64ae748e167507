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

  // A follow-up question, a filtered list or a label that depends on an answer given on the
  // same page appears as soon as that answer changes: the page asks the server again
  // (action=refresh keeps valid answers, reports nothing missing) and swaps its fields.
  function setupReveal(form) {
    var box = form.querySelector("[data-page-fields]");
    if (!box || !window.fetch || !window.FormData || !window.DOMParser) return;
    var busy = false;
    var again = false;
    var touched = {};  // what the respondent changed while a refresh was on its way

    function drivers() {
      var names = {};
      box.querySelectorAll("input[data-reveals]").forEach(function (input) {
        names[input.getAttribute("data-reveals")] = true;
      });
      return names;
    }

    function typedValues() {
      var typed = {};
      box.querySelectorAll("input[type=text], input:not([type]), textarea").forEach(function (el) {
        if (el.id && el.value) typed[el.id] = el.value;
      });
      return typed;
    }

    function refresh() {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      touched = {};
      var data = new FormData(form);
      data.set("action", "refresh");
      var typed = typedValues();
      // form.action would be the button named "action": read the attribute.
      fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-page-fields]");
          if (!fresh) return;
          var active = document.activeElement && document.activeElement.id;
          box.innerHTML = fresh.innerHTML;
          Object.keys(typed).forEach(function (id) {
            var el = document.getElementById(id);
            if (el && !el.value) el.value = typed[id];  // keep what was typed, even if not valid yet
          });
          Object.keys(touched).forEach(function (id) {
            var el = document.getElementById(id);
            if (!el) return;
            if (el.type === "checkbox" || el.type === "radio") el.checked = touched[id].checked;
            else el.value = touched[id].value;
          });
          box.querySelectorAll("input[data-geopoint]").forEach(setupGeopoint);
          if (window.mairiebusGeoShape) box.querySelectorAll("textarea[data-geoshape]").forEach(window.mairiebusGeoShape);
          var again_el = active && document.getElementById(active);
          if (again_el) again_el.focus();
        })
        .catch(function () {
          // Nothing lost: « Continuer » shows the new questions, as without JavaScript.
        })
        .then(function () {
          busy = false;
          if (again) {
            again = false;
            refresh();
          }
        });
    }

    function remember(event) {
      var target = event.target;
      if (busy && target && target.id) {
        touched[target.id] = { checked: target.checked, value: target.value };
      }
    }

    form.addEventListener("input", remember);
    form.addEventListener("change", function (event) {
      remember(event);
      var target = event.target;
      if (target && target.name && drivers()[target.name]) refresh();
    });
  }

  var box = document.querySelector("[data-read-aloud]");
  if (box) setupReadAloud(box);
  document.querySelectorAll("input[data-geopoint]").forEach(setupGeopoint);
  var pageForm = document.querySelector("form.collect-form");
  if (pageForm) setupReveal(pageForm);
})();
