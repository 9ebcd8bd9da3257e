// Every page of Tandem (layout.html loads it): live countdowns and times in
// the viewer's own time zone. Without this script the server's text stays:
// times in the agreement's zone and the time left when the page was drawn.
(function () {
  "use strict";

  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
    s = s % 60;
    if (d > 0) return d + "d " + h + "h";
    if (h > 0) return h + "h " + m + "m";
    if (m > 0) return m + "m " + s + "s";
    return s + "s";
  }

  // tick rewrites every countdown: "in 1h 5m", or "overdue by 3m" past due.
  function tick() {
    var now = Date.now();
    var els = document.querySelectorAll("[data-due].countdown");
    for (var i = 0; i < els.length; i++) {
      var el = els[i], due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) continue;
      var left = due - now;
      if (left >= 0) {
        el.textContent = "in " + span(left);
        el.setAttribute("data-state", "pending");
      } else {
        el.textContent = "overdue by " + span(left);
        el.setAttribute("data-state", "overdue");
        var clock = el.closest(".clock");
        if (clock) { clock.classList.remove("clock-pending"); clock.classList.add("clock-overdue"); }
      }
    }
  }

  var fmt;
  try {
    fmt = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
  } catch (e) { fmt = null; }

  // localTimes shows every <time datetime> in the browser's time zone.
  function localTimes(root) {
    if (!fmt) return;
    var els = (root || document).querySelectorAll("time[datetime]:not([data-local])");
    for (var i = 0; i < els.length; i++) {
      var t = Date.parse(els[i].getAttribute("datetime"));
      if (isNaN(t)) continue;
      els[i].title = els[i].textContent;
      els[i].textContent = fmt.format(new Date(t));
      els[i].setAttribute("data-local", "1");
    }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var notes = document.querySelectorAll(".js-zone");
    for (var j = 0; j < notes.length; j++) {
      notes[j].textContent = "(shown here in your time zone, " + zone + ")";
    }
  }

  function start() {
    localTimes(document);
    tick();
    setInterval(tick, 1000);
  }

  // htmx swaps a row's answer in even when it is a refusal (403, 409,
  // 422): the row then says, in words, why nothing changed.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var s = evt.detail.xhr.status;
    if (s === 403 || s === 404 || s === 409 || s === 422) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSettle", function () { localTimes(document); tick(); });

  // A "copy" button copies the text of the element it names (a template
  // filled in for a lead), and says so.
  document.addEventListener("click", function (evt) {
    var b = evt.target.closest ? evt.target.closest("[data-copy]") : null;
    if (!b) return;
    var el = document.getElementById(b.getAttribute("data-copy"));
    if (!el || !navigator.clipboard) return;
    navigator.clipboard.writeText(el.textContent).then(function () {
      b.textContent = "Copied";
      b.setAttribute("data-copied", "true");
    }, function () { b.textContent = "Copy failed: select the text"; });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
