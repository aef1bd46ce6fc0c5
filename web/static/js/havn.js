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

  // On public pages every move inside the site replaces the current history entry, so the
  // whole visit is one entry, and the quick exit (or closing the tab) leaves no trail of
  // searches or chats for the Back button to bring back.
  if (document.body.classList.contains("public")) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href]");
      if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey ||
          event.ctrlKey || event.shiftKey || event.altKey || link.target || link.hasAttribute("download") ||
          link.origin !== window.location.origin || link.hasAttribute("hx-get")) { return; }
      event.preventDefault();
      window.location.replace(link.href);
    });
    // A page restored from the back/forward cache is shown again from the server, or not at all.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        document.body.hidden = true;
        window.location.reload();
      }
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
