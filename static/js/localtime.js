// "16:00–17:00 KST · 09:00–10:00 CEST on your clock": adds the reader's own time next to every event time.
// Pages read fine without it; it only adds the second clock when the reader's zone differs.
// The patterns (Django date-format letters) and range separators come from the page, written by
// hubsite.dates, so the reader's clock follows the same rule as every date the server writes.
(function () {
  "use strict";
  var readerZone;
  try {
    readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  var lang = document.documentElement.lang || "en";

  // The parts of `date` on the reader's clock, in the page's language.
  function parts(date) {
    var numeric = {};
    new Intl.DateTimeFormat("en-CA", {
      timeZone: readerZone, year: "numeric", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(date).forEach(function (p) { numeric[p.type] = p.value; });
    var name = function (options) {
      options.timeZone = readerZone;
      return new Intl.DateTimeFormat(lang, options).format(date);
    };
    return {
      Y: numeric.year, n: String(Number(numeric.month)), j: String(Number(numeric.day)),
      H: ("0" + (Number(numeric.hour) % 24)).slice(-2), i: ("0" + Number(numeric.minute)).slice(-2),
      D: name({ weekday: "short" }), l: name({ weekday: "long" }),
      M: name({ month: "short" }), F: name({ month: "long" }),
      day: numeric.year + "-" + numeric.month + "-" + numeric.day
    };
  }
  // Django's date-format letters used by hubsite.dates; a backslash escapes the next character.
  function format(pattern, p) {
    var out = "";
    for (var i = 0; i < pattern.length; i++) {
      var c = pattern.charAt(i);
      if (c === "\\") { out += pattern.charAt(++i); continue; }
      out += "YnjHiDlMF".indexOf(c) >= 0 ? p[c] : c;
    }
    return out;
  }
  // English abbreviations as people say them: en-US knows EST/PST, en-GB knows CET/BST.
  function zoneName(date) {
    var locales = ["en-US", "en-GB"];
    var name = "";
    for (var i = 0; i < locales.length; i++) {
      var found = new Intl.DateTimeFormat(locales[i], { timeZone: readerZone, timeZoneName: "short" })
        .formatToParts(date).filter(function (p) { return p.type === "timeZoneName"; });
      name = found.length ? found[0].value : name;
      if (!/GMT[+-]/.test(name)) return name;
    }
    return name.replace("GMT", "UTC");
  }
  function eventDay(date, zone) {
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "numeric", day: "numeric" }).format(date);
  }
  document.querySelectorAll("time[data-localtime]").forEach(function (el) {
    var zone = el.getAttribute("data-zone");
    if (!zone || zone === readerZone) return;
    var start = new Date(el.getAttribute("datetime"));
    var end = new Date(el.getAttribute("data-end"));
    if (isNaN(start.getTime())) return;
    var target = el.parentNode.querySelector(".localtime");
    if (!target) return;
    var time = target.getAttribute("data-format-time") || "H:i";
    var dayTime = target.getAttribute("data-format-day-time") || "D j M, H:i";
    var s = parts(start);
    // The day too, when the reader's day differs from the event's own.
    var text = format(eventDay(start, zone) === eventDay(start, readerZone) ? time : dayTime, s);
    if (!isNaN(end.getTime())) {
      var e = parts(end);
      if (s.day === e.day) {
        text += target.getAttribute("data-range-time") + format(time, e);
      } else {
        text = format(dayTime, s) + target.getAttribute("data-range-date") + format(dayTime, e);
      }
    }
    target.textContent = " · " + text + " " + zoneName(start) + " " + target.getAttribute("data-local-label");
    target.hidden = false;
  });
})();
