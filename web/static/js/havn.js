/* Havn public pages: quick exit and "use my location". Everything works without this file. */
(function () {
  "use strict";

  var exit = document.getElementById("quick-exit");
  function leave(event) {
    if (event) { event.preventDefault(); }
    document.body.hidden = true;
    document.title = "";
    // replace(): the Back button cannot return to this page.
    window.location.replace(exit.href);
  }
  if (exit) {
    exit.addEventListener("click", leave);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" || event.key === "Esc") { leave(event); }
    });
  }

  // "/" jumps to the search field from anywhere outside a text field (advisers' console).
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
      target.tagName === "SELECT" || target.isContentEditable);
    var field = document.querySelector("[data-shortcut='/']");
    if (event.key === "/" && !typing && field) {
      event.preventDefault();
      field.focus();
    }
  });

  // The live-section contract (templates/_live.html): a live section refreshes itself from
  // the page's current address, says so (Havn-Live: not a new search), and a failed or
  // redirected answer never replaces what is shown.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute && elt.hasAttribute("data-live")) {
      event.detail.path = window.location.pathname + window.location.search;
      event.detail.headers["Havn-Live"] = "refresh";
    }
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var live = target && target.closest ? target.closest("[data-live]") : null;
    if (!live) { return; }
    var xhr = event.detail.xhr;
    var refresh = event.detail.elt === live;
    var asked = new URL(event.detail.pathInfo.finalRequestPath || "", window.location.href);
    var answered = xhr.responseURL ? new URL(xhr.responseURL) : asked;
    if (answered.pathname !== asked.pathname) {
      // Redirected (to the login page, say): keep what is shown; a tap goes there.
      event.detail.shouldSwap = false;
      if (!refresh) { window.location.assign(answered.href); }
      return;
    }
    var ok = xhr.status === 200 || (!refresh && (xhr.status === 409 || xhr.status === 422));
    if (!ok) { event.detail.shouldSwap = false; }
  });

  var locate = document.getElementById("locate");
  var q = document.getElementById("q");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  if (locate && q && lat && lon && "geolocation" in navigator) {
    locate.hidden = false;
    document.getElementById("locate-hint").hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        // Two decimals (about 1 km) are enough to find the nearest centres.
        lat.value = position.coords.latitude.toFixed(2);
        lon.value = position.coords.longitude.toFixed(2);
        lat.disabled = false;
        lon.disabled = false;
        q.value = "";
        q.form.requestSubmit();
      }, function () {
        q.focus();
      }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 });
    });
    q.addEventListener("input", function () {
      lat.disabled = true;
      lon.disabled = true;
    });
  }
})();
