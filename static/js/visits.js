// Registering a stay: while the dates change, show whether desks are free on every day.
// The page works without this: the "Check desks" button asks the server for the same answer.
(function () {
  "use strict";
  var region = document.getElementById("desk-availability");
  var first = document.querySelector("[data-desk-check=first]");
  var last = document.querySelector("[data-desk-check=last]");
  if (!region || !first || !last || !window.fetch) { return; }

  function say(text, className) {
    region.textContent = "";
    var p = document.createElement("p");
    p.className = className;
    p.textContent = text;
    region.appendChild(p);
  }

  function check() {
    if (!first.value || !last.value) { return; }
    var url = region.getAttribute("data-url") + "?first_day=" + encodeURIComponent(first.value) +
      "&last_day=" + encodeURIComponent(last.value);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var lang = document.documentElement.lang;
        if (data.errors) { say(data.errors.join(" "), "availability-error"); return; }
        if (data.all_free) {
          say(lang === "ko" ? "모든 날에 빈 책상이 있습니다." : "Desks are free on every day of these dates.", "availability-ok");
        } else {
          say((lang === "ko" ? "빈 책상이 없는 날: " : "No desk is free on: ") + (data.short_days_text || data.short_days).join(", "), "availability-short");
        }
      })
      .catch(function () { /* the button still works */ });
  }

  first.addEventListener("change", check);
  last.addEventListener("change", check);
})();

// The project list follows the host: only the chosen host's projects are offered. Without this the
// list is grouped by hub member, and "Check desks" narrows it to the chosen host's projects.
(function () {
  "use strict";
  var projects = document.querySelector("[data-projects-by-host]");
  var host = document.getElementById("id_host");
  if (!projects || !host) { return; }

  function follow() {
    var groups = projects.querySelectorAll("optgroup");
    for (var g = 0; g < groups.length; g++) {
      var options = groups[g].querySelectorAll("option[data-host]");
      var shown = 0;
      for (var o = 0; o < options.length; o++) {
        var mine = !host.value || options[o].getAttribute("data-host") === host.value;
        options[o].hidden = !mine;
        options[o].disabled = !mine;
        if (mine) { shown += 1; }
      }
      groups[g].hidden = shown === 0;
    }
    var chosen = projects.options[projects.selectedIndex];
    if (chosen && chosen.disabled) { projects.value = ""; }
  }

  host.addEventListener("change", follow);
  follow();
})();
