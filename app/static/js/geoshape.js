/* geotrace/geoshape questions (loaded only on pages that have one): add the phone's position
   as the next point, and sketch the points typed so far. Works without: points are typed. */
(function () {
  "use strict";

  // An outline, not a map: no tiles are fetched from anywhere.
  function setupGeoShape(area) {
    var NS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("class", "geo-sketch");
    svg.setAttribute("viewBox", "0 0 100 100");
    svg.setAttribute("aria-hidden", "true");
    var line = document.createElementNS(NS, "polyline");
    svg.appendChild(line);
    var count = document.createElement("p");
    count.className = "small geo-status";
    count.setAttribute("role", "status");
    var template = area.getAttribute("data-points-label") || "{n}";

    function points() {
      return area.value.split(/[;\n]+/).map(function (part) {
        var bits = part.trim().split(/\s+/);
        return [parseFloat(bits[0]), parseFloat(bits[1])];
      }).filter(function (p) { return isFinite(p[0]) && isFinite(p[1]); });
    }

    function draw() {
      var pts = points();
      count.textContent = template.replace("{n}", String(pts.length));
      if (pts.length < 2) { line.setAttribute("points", ""); return; }
      var lats = pts.map(function (p) { return p[0]; });
      var lons = pts.map(function (p) { return p[1]; });
      var minLat = Math.min.apply(null, lats), maxLat = Math.max.apply(null, lats);
      var minLon = Math.min.apply(null, lons), maxLon = Math.max.apply(null, lons);
      var span = Math.max(maxLat - minLat, maxLon - minLon) || 1;
      if (area.getAttribute("data-geoshape") === "geoshape") pts.push(pts[0]);
      line.setAttribute("points", pts.map(function (p) {
        return (5 + 90 * (p[1] - minLon) / span).toFixed(2) + "," + (95 - 90 * (p[0] - minLat) / span).toFixed(2);
      }).join(" "));
    }

    if ("geolocation" in navigator) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button secondary small";
      button.textContent = area.getAttribute("data-geo-label") || "+";
      button.addEventListener("click", function () {
        count.textContent = area.getAttribute("data-geo-wait") || "…";
        navigator.geolocation.getCurrentPosition(function (position) {
          var c = position.coords;
          var point = [c.latitude.toFixed(6), c.longitude.toFixed(6), (c.altitude || 0).toFixed(1), (c.accuracy || 0).toFixed(1)].join(" ");
          area.value = area.value.replace(/\s+$/, "") + (area.value.trim() ? "\n" : "") + point;
          draw();
          count.textContent = (area.getAttribute("data-geo-done") || "") + " " + count.textContent;
        }, function () {
          count.textContent = area.getAttribute("data-geo-fail") || "";
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
      });
      area.parentNode.insertBefore(button, area.nextSibling);
    }
    area.parentNode.insertBefore(count, area.nextSibling);
    area.parentNode.insertBefore(svg, area.nextSibling);
    area.addEventListener("input", draw);
    draw();
  }

  window.mairiebusGeoShape = setupGeoShape;
  document.querySelectorAll("textarea[data-geoshape]").forEach(setupGeoShape);
})();
