/* Staff pages without a connection (the bus's tablet when the 4G drops).
 *
 * - registers the service worker (/sw.js), which keeps today's staff pages and questionnaires;
 * - any form marked data-offline that is submitted while offline is kept in IndexedDB (outbox)
 *   with a fresh idempotency key, and sent automatically when the connection returns: the server
 *   accepts each key once, so a retry never makes a second copy;
 * - on the aidant's questionnaire (online, page by page), the answers typed so far are kept too,
 *   so when the connection drops mid-questionnaire the aidant goes on in the one-page offline
 *   questionnaire with everything already typed;
 * - shows "Hors connexion : vos saisies sont gardées sur la tablette" and the pending count.
 * Residents' pages never load this script.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var cfg = script ? script.dataset : {};
  var DB_NAME = "mairiebus-offline";
  var OUTBOX = "outbox";
  var CURRENT = "current";
  var DRAFT_ID = "draft";
  var RETRY_MS = 30000;
  var PACK_KEY = "mairiebus-pack-kept-at";
  var PACK_EVERY_MS = 10 * 60 * 1000;
  var syncing = false;

  // ------------------------------------------------------------------ IndexedDB

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: "key" });
        if (!db.objectStoreNames.contains(CURRENT)) db.createObjectStore(CURRENT, { keyPath: "id" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result;
        var request = work(tx.objectStore(name));
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function allEntries() {
    return withStore(OUTBOX, "readonly", function (s) { return s.getAll(); }).then(function (rows) {
      return (rows || []).sort(function (a, b) { return a.created - b.created; });
    });
  }
  function putEntry(entry) { return withStore(OUTBOX, "readwrite", function (s) { return s.put(entry); }); }
  function deleteEntry(key) { return withStore(OUTBOX, "readwrite", function (s) { return s.delete(key); }); }
  function getDraft() { return withStore(CURRENT, "readonly", function (s) { return s.get(DRAFT_ID); }); }
  function putDraft(draft) {
    draft.id = DRAFT_ID;
    return withStore(CURRENT, "readwrite", function (s) { return s.put(draft); });
  }

  // ------------------------------------------------------------------ helpers

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function fields(form) {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") pairs.push([name, value]);
    });
    return pairs;
  }

  // Not form.action: a button named "action" (the questionnaire's) would shadow it.
  function formUrl(form) {
    return new URL(form.getAttribute("action") || location.href, location.href).href;
  }

  function offlineFormUrl(formId) {
    return (cfg.offlineForm || "").replace("FORM_ID", encodeURIComponent(formId)) + "?reprise=1";
  }

  function show(selector, visible) {
    document.querySelectorAll(selector).forEach(function (el) { el.hidden = !visible; });
  }

  // ------------------------------------------------------------------ banner and counts

  function render() {
    show("[data-offline-banner]", !navigator.onLine);
    return allEntries().then(function (entries) {
      var pending = entries.filter(function (e) { return e.status !== "refused"; });
      var refused = entries.filter(function (e) { return e.status === "refused"; });
      document.querySelectorAll("[data-offline-count]").forEach(function (el) { el.textContent = String(pending.length); });
      document.querySelectorAll("[data-offline-refused-count]").forEach(function (el) { el.textContent = String(refused.length); });
      show("[data-offline-pending]", pending.length > 0);
      show("[data-offline-refused]", refused.length > 0);
      show("[data-offline-sync]", pending.length > 0 && navigator.onLine);
      show("[data-offline-empty]", entries.length === 0);
      document.querySelectorAll("[data-offline-list]").forEach(function (list) {
        list.textContent = "";
        entries.forEach(function (entry) {
          var item = document.createElement("li");
          var when = new Date(entry.created).toLocaleString("fr-FR");
          item.textContent = entry.label + " – " + when + (entry.status === "refused" ? " – " + (cfg.refused || "") + " : " + (entry.message || "") : "");
          list.appendChild(item);
        });
      });
      document.documentElement.dataset.outboxPending = String(pending.length);
      return pending.length;
    });
  }

  // ------------------------------------------------------------------ sending

  /* Is the aidant still logged in? (A restarted browser forgets the session.) Resolves to a
   * fresh CSRF token, or null when they must log in again first. */
  function session() {
    return fetch(cfg.pack, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        var landed = new URL(response.url, location.href).pathname;
        if (cfg.login && landed === new URL(cfg.login, location.href).pathname) return null;
        if (!response.ok) throw new Error("pack " + response.status);
        return response.json().then(function (pack) { return pack.csrf || cfg.csrf; });
      });
  }

  function sendEntry(entry, token) {
    var body = new URLSearchParams();
    entry.body.forEach(function (pair) {
      if (pair[0] === "csrf_token" && token) body.append(pair[0], token);
      else body.append(pair[0], pair[1]);
    });
    return fetch(entry.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Mairiebus-Offline": "1" },
    }).then(function (response) {
      var landed = new URL(response.url, location.href).pathname;
      if (cfg.login && landed === new URL(cfg.login, location.href).pathname) return "login";
      if (response.ok) return deleteEntry(entry.key).then(function () { return "sent"; });
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          entry.status = "refused";
          entry.message = (data && data.message) || String(response.status);
          return putEntry(entry).then(function () { return "refused"; });
        });
      }
      return "retry";
    });
  }

  function sync() {
    if (syncing || !navigator.onLine) return Promise.resolve();
    syncing = true;
    return allEntries().then(function (entries) {
      var pending = entries.filter(function (e) { return e.status !== "refused"; });
      if (!pending.length) return "sent";
      return session().then(function (token) {
        if (token === null) return "login";
        var chain = Promise.resolve("sent");
        pending.forEach(function (entry) {
          chain = chain.then(function (previous) {
            if (previous === "login" || previous === "retry") return previous;
            return sendEntry(entry, token);
          });
        });
        return chain;
      });
    }).catch(function () { return "retry"; }).then(function (outcome) {
      show("[data-offline-relogin]", outcome === "login");
      syncing = false;
      return render();
    }).then(function (left) {
      if (left > 0) window.setTimeout(sync, RETRY_MS);
    });
  }

  function queue(form) {
    var pairs = fields(form);
    var key = newKey();
    var hasKey = false;
    pairs = pairs.map(function (pair) {
      if (pair[0] === "idempotency_key") { hasKey = true; return [pair[0], key]; }
      return pair;
    });
    if (!hasKey) pairs.push(["idempotency_key", key]);
    return putEntry({
      key: key,
      url: formUrl(form),
      body: pairs,
      label: form.dataset.offlineLabel || document.title,
      created: Date.now(),
      status: "pending",
    });
  }

  // ------------------------------------------------------------------ questionnaire draft copy

  function mergeIntoDraft(form) {
    var shown = new FormData(form).getAll("shown");
    var data = new FormData(form);
    return getDraft().then(function (draft) {
      draft = draft || { values: {} };
      draft.formId = draft.formId || cfg.draftForm;
      draft.values = draft.values || {};
      shown.forEach(function (name) {
        draft.values[name] = data.getAll(name).filter(function (v) { return typeof v === "string"; });
      });
      return putDraft(draft);
    });
  }

  function prefill(form) {
    return getDraft().then(function (draft) {
      if (!draft) return;
      var place = form.elements.namedItem("place");
      if (place && draft.place && !place.value) place.value = draft.place;
      Object.keys(draft.values || {}).forEach(function (name) {
        var wanted = draft.values[name];
        form.querySelectorAll('[name="' + CSS.escape(name) + '"]').forEach(function (input) {
          if (input.type === "hidden") return;
          if (input.type === "checkbox" || input.type === "radio") input.checked = wanted.indexOf(input.value) !== -1;
          else if (input.tagName === "SELECT" && input.multiple) {
            Array.prototype.forEach.call(input.options, function (o) { o.selected = wanted.indexOf(o.value) !== -1; });
          } else input.value = wanted[0] || "";
        });
      });
    });
  }

  // ------------------------------------------------------------------ form submissions

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var offline = !navigator.onLine;

    // The aidant starts a questionnaire: remember where and which one.
    var place = form.elements.namedItem("place");
    var formId = form.elements.namedItem("form_id");
    if (form.dataset.offlineKept === "1") {
      delete form.dataset.offlineKept; // our own resubmission, once the copy is written
      return;
    }
    var keep = null;
    var target = null;
    if (place && formId && !form.hasAttribute("data-offline")) {
      var started = { formId: formId.value, place: place.value, values: {} };
      keep = function () { return putDraft(started); };
      target = started.formId;
    } else if (cfg.draftForm && !form.hasAttribute("data-offline") &&
               (form.querySelector("input[name=shown]") || /\/repondre\/envoyer$/.test(new URL(formUrl(form)).pathname))) {
      // A page of the online questionnaire with a resident: keep a copy of the answers.
      keep = function () { return mergeIntoDraft(form); };
      target = cfg.draftForm;
    }
    if (keep) {
      event.preventDefault();
      var submitter = event.submitter;
      keep().catch(function () { /* storage refused: the online flow goes on */ }).then(function () {
        if (!navigator.onLine) {
          location.href = offlineFormUrl(target);
          return;
        }
        form.dataset.offlineKept = "1";
        if (submitter && form.requestSubmit) form.requestSubmit(submitter);
        else form.submit();
      });
      return;
    }

    if (!form.hasAttribute("data-offline") || !offline) return;
    event.preventDefault();
    queue(form).then(function () {
      if (form.hasAttribute("data-offline-reset")) {
        var keepPlace = place ? place.value : "";
        form.reset();
        if (place) place.value = keepPlace;
        return putDraft({ formId: formId ? formId.value : "", place: keepPlace, values: {} });
      }
    }).then(function () {
      show("[data-offline-saved]", true);
      var saved = document.querySelector("[data-offline-saved]");
      if (saved) saved.scrollIntoView();
      else window.alert(cfg.saved || "");
      return render();
    });
  }, true);

  // ------------------------------------------------------------------ start-up

  document.querySelectorAll("[data-offline-sync]").forEach(function (button) {
    button.addEventListener("click", function () { sync(); });
  });
  window.addEventListener("online", function () { render(); sync(); });
  window.addEventListener("offline", render);
  // The thank-you page: that person's answers are on the server, forget the tablet's copy
  // (the place is kept for the next person).
  if (location.pathname === "/merci") {
    getDraft().then(function (draft) {
      if (draft && draft.values && Object.keys(draft.values).length) {
        draft.values = {};
        return putDraft(draft);
      }
    }).catch(function () {});
  }
  var resumable = document.querySelector("form[data-offline-resume]");
  var ready = resumable && /[?&]reprise=1\b/.test(location.search) ? prefill(resumable) : Promise.resolve();
  ready.then(render).then(sync);

  if ("serviceWorker" in navigator && cfg.sw) {
    navigator.serviceWorker.register(cfg.sw, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (!navigator.onLine || !registration.active) return;
      // Keep today's pages and questionnaires (the list comes from the server while online),
      // at most every few minutes rather than at each page.
      var last = Number(localStorage.getItem(PACK_KEY) || 0);
      if (Date.now() - last < PACK_EVERY_MS) {
        document.documentElement.dataset.offlineReady = "1";
        return;
      }
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "pack-cached") {
          if (event.data.ok) localStorage.setItem(PACK_KEY, String(Date.now()));
          document.documentElement.dataset.offlineReady = event.data.ok ? "1" : "0";
        }
      });
      registration.active.postMessage({ type: "cache-pack", url: cfg.pack });
    }).catch(function () { /* no offline support on this browser: pages still work online */ });
  }
})();
