/* Mairie Bus service worker: staff pages keep working when the bus's connection drops.
 *
 * Served at /sw.js (fixed URL, no HTTP cache). Only staff pages are handled; residents' pages go
 * to the network as if there were no service worker. Pages: network first, the kept copy when
 * offline. Today's pages and questionnaires are kept when a staff page asks ("cache-pack").
 */
"use strict";

var CACHE = "mairiebus-staff-v1";
var OFFLINE_HOME = "/aidant/hors-ligne";
var STAFF_PAGES = /^\/(aidant|equipe|repondre|merci)(\/|$)/;
// Pages kept as soon as they are visited (not only those of the day's pack): an assessment in
// progress with a resident must survive a reload without connection.
var KEEP_ON_VISIT = /^\/equipe\/pass\/evaluation\/\d+(\/verifications)?$/;

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keepPack(packUrl) {
  return fetch(packUrl, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
    if (!response.ok || response.redirected) return false;
    return response.json().then(function (pack) {
      return caches.open(CACHE).then(function (cache) {
        return Promise.all(pack.urls.map(function (url) {
          return fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (page) {
            if (page.ok && !page.redirected) return cache.put(url, page);
          });
        }));
      }).then(function () { return true; });
    });
  }).catch(function () { return false; });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "cache-pack" || !data.url) return;
  event.waitUntil(keepPack(data.url).then(function (ok) {
    if (event.source) event.source.postMessage({ type: "pack-cached", ok: ok });
  }));
});

function readDraft() {
  return new Promise(function (resolve) {
    var request = indexedDB.open("mairiebus-offline", 1);
    request.onupgradeneeded = function () {
      request.result.createObjectStore("outbox", { keyPath: "key" });
      request.result.createObjectStore("current", { keyPath: "id" });
    };
    request.onerror = function () { resolve(null); };
    request.onsuccess = function () {
      var db = request.result;
      var get = db.transaction("current", "readonly").objectStore("current").get("draft");
      get.onsuccess = function () { db.close(); resolve(get.result || null); };
      get.onerror = function () { db.close(); resolve(null); };
    };
  });
}

function offlinePage() {
  return caches.match(OFFLINE_HOME).then(function (page) {
    return page || new Response(
      "<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\"><title>Hors connexion</title>" +
      "<p>Hors connexion : vos saisies sont gardées sur la tablette. Revenez en arrière, puis réessayez quand la connexion revient.</p>",
      { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
    );
  });
}

/* Offline in the middle of a questionnaire: go on with the one-page offline questionnaire. */
function resumeOffline() {
  return readDraft().then(function (draft) {
    if (draft && draft.formId) {
      return Response.redirect("/aidant/hors-ligne/" + encodeURIComponent(draft.formId) + "?reprise=1", 303);
    }
    return offlinePage();
  });
}

function fromCache(request, url) {
  return caches.match(request, { ignoreSearch: url.pathname.indexOf("/aidant/hors-ligne/") === 0 }).then(function (kept) {
    if (kept) return kept;
    if (request.mode !== "navigate") return Response.error();
    if (url.pathname.indexOf("/repondre/") === 0 || url.pathname === "/merci") return resumeOffline();
    return offlinePage();
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  var staffPage = STAFF_PAGES.test(url.pathname);
  if (request.method === "GET") {
    var asset = url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest";
    if (!(staffPage && request.mode === "navigate") && !asset) return;
    event.respondWith(
      fetch(request).then(function (response) {
        // Refresh the kept copy of pages and assets that are part of today's pack.
        if (response.ok && !response.redirected) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) {
            return cache.match(request).then(function (kept) {
              if (kept || KEEP_ON_VISIT.test(url.pathname)) return cache.put(request, copy);
            });
          });
        }
        return response;
      }).catch(function () { return fromCache(request, url); })
    );
    return;
  }
  if (request.method === "POST" && request.mode === "navigate" && staffPage) {
    event.respondWith(fetch(request).catch(function () {
      return url.pathname.indexOf("/repondre/") === 0 ? resumeOffline() : offlinePage();
    }));
  }
});
