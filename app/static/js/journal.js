// Logbook entry form enhancements; the form works fully without them.
// - a search box filters the procedures list;
// - "Orienter vers" shows only when the outcome is "Orienté vers…", with the referents who
//   cover the chosen procedures' themes first.
(function () {
  "use strict";
  var form = document.querySelector(".visit-form");
  if (!form) { return; }

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  var search = form.querySelector(".procedure-search");
  var filter = document.getElementById("procedure-filter");
  var items = form.querySelectorAll(".procedures li");
  if (search && filter) {
    search.hidden = false;
    filter.addEventListener("input", function () {
      var words = fold(filter.value).split(/\s+/).filter(Boolean);
      items.forEach(function (item) {
        var hay = item.getAttribute("data-words") || "";
        var checked = item.querySelector("input").checked;
        item.hidden = !checked && !words.every(function (w) { return hay.indexOf(w) !== -1; });
      });
    });
  }

  var block = document.getElementById("referral-block");
  function outcome() {
    var chosen = form.querySelector("input[name=outcome]:checked");
    return chosen ? chosen.value : "";
  }
  function themes() {
    var codes = [];
    form.querySelectorAll("input[name=procedures]:checked").forEach(function (box) {
      var words = box.closest("li").getAttribute("data-themes");
      if (words) { codes = codes.concat(words.split(" ")); }
    });
    form.querySelectorAll("input[name=themes]:checked").forEach(function (box) { codes.push(box.value); });
    return codes;
  }
  function sortTargets() {
    var list = form.querySelector(".targets");
    if (!list) { return; }
    var wanted = themes();
    var rows = Array.prototype.slice.call(list.children);
    rows.sort(function (a, b) {
      function score(row) {
        var has = (row.getAttribute("data-themes") || "").split(" ");
        return wanted.some(function (t) { return has.indexOf(t) !== -1; }) ? 0 : 1;
      }
      return score(a) - score(b);
    });
    rows.forEach(function (row) { list.appendChild(row); });
  }
  function update() {
    if (block) {
      var hasError = block.querySelector(".error-message");
      block.hidden = outcome() !== "referred" && !hasError;
    }
    sortTargets();
  }
  form.addEventListener("change", update);
  update();
})();
