/* Collection point form: "Utiliser ma position" fills latitude and longitude from the device,
   and the plan shows the new position. Without JavaScript the plan and the fields still work. */
(function () {
  "use strict";
  var box = document.querySelector("[data-use-position]");
  var lat = document.getElementById("latitude");
  var lon = document.getElementById("longitude");
  var plan = document.querySelector("input.map-picker-image");
  if (!box || !lat || !lon || !("geolocation" in navigator)) return;

  function french(value) {
    return value.toFixed(5).replace(".", ",");
  }

  var button = document.createElement("button");
  button.type = "button";
  button.className = "button secondary small";
  button.textContent = box.getAttribute("data-label");
  var status = document.createElement("p");
  status.className = "hint geo-status";
  status.setAttribute("role", "status");
  box.appendChild(button);
  box.appendChild(status);

  button.addEventListener("click", function () {
    status.textContent = box.getAttribute("data-wait");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        lat.value = french(position.coords.latitude);
        lon.value = french(position.coords.longitude);
        if (plan) {
          var url = new URL(plan.getAttribute("src"), window.location.href);
          url.searchParams.set("lat", lat.value);
          url.searchParams.set("lon", lon.value);
          plan.setAttribute("src", url.pathname + url.search);
        }
        status.textContent = box.getAttribute("data-done");
      },
      function () {
        status.textContent = box.getAttribute("data-fail");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
})();
