/* Havn public pages: quick exit, "use my location", results focus, copy buttons and the chat's
   error notices.
   Everything works without this file. */
(function () {
  "use strict";

  var exit = document.getElementById("quick-exit");
  function leave(event) {
    if (event) { event.preventDefault(); }
    document.body.hidden = true;
    document.title = "";
    var neutral = exit.getAttribute("data-neutral") || exit.href;
    if (exit.href !== neutral) {
      // The chat's exit ends the conversation on our server; the person does not wait for it.
      try {
        fetch(exit.href, { keepalive: true, credentials: "same-origin", redirect: "manual" });
      } catch (ignored) { /* leaving matters more */ }
    }
    // replace(): the Back button cannot return to this page.
    window.location.replace(neutral);
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

  // After a search (not a live refresh) the answer comes first: the form folds away and
  // focus moves to the results heading, which also scrolls it into view.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var config = event.detail.requestConfig;
    if (!target || target.id !== "results" || (config && config.headers["Havn-Live"])) { return; }
    var change = document.querySelector("details.change-search");
    if (change) { change.open = false; }
    var heading = document.getElementById("results-heading");
    if (heading) { heading.focus(); }
  });

  // Copy buttons (the chat's summary for a helpline): shown only where the clipboard works.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute("data-copied");
      });
    });
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

  // The chat shows every failure in the conversation, with the helpline: htmx swaps no
  // error answer by default, so our own answers (marked by a header) are swapped in here,
  // and a server that cannot be reached at all gets the page's built-in notice.
  var conversation = document.getElementById("conversation");
  function unreachable() {
    var notice = document.getElementById("chat-unreachable");
    var inside = conversation && conversation.querySelector(".conversation");
    if (!notice || !inside) { return; }
    inside.querySelectorAll(".chat-problem").forEach(function (old) { old.remove(); });
    inside.appendChild(notice.content.cloneNode(true));
  }
  if (conversation) {
    document.addEventListener("htmx:beforeSwap", function (event) {
      var detail = event.detail;
      if (detail.target !== conversation || detail.xhr.status < 400) { return; }
      if (detail.xhr.getResponseHeader("X-Havn-Fragment") === "conversation") {
        detail.shouldSwap = true;
        detail.isError = false;
      } else {
        unreachable();
      }
    });
    document.addEventListener("htmx:sendError", unreachable);
    document.addEventListener("htmx:timeout", unreachable);
  }
})();
