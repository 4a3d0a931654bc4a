// "16:00 KST · 08:00 CET on your clock": adds the reader's own time next to every event time.
// Pages read fine without it; it only adds the second clock when the reader's zone differs.
(function () {
  "use strict";
  var readerZone;
  try {
    readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  var lang = document.documentElement.lang || undefined;
  // English abbreviations as people say them: en-US knows EST/PST, en-GB knows CET/BST.
  var locales = lang === "en" ? ["en-US", "en-GB"] : [lang];
  function fmt(date, withDay) {
    var text = "";
    for (var i = 0; i < locales.length; i++) {
      text = fmtIn(locales[i], date, withDay);
      if (!/GMT[+-]/.test(text)) return text;
    }
    return text;
  }
  function fmtIn(locale, date, withDay) {
    var options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" };
    if (withDay) {
      options.weekday = "short";
      options.day = "numeric";
      options.month = "short";
    }
    return new Intl.DateTimeFormat(locale, options).format(date);
  }
  function dayKey(date, zone) {
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
  }
  document.querySelectorAll("time[data-localtime]").forEach(function (el) {
    var zone = el.getAttribute("data-zone");
    if (!zone || zone === readerZone) return;
    var start = new Date(el.getAttribute("datetime"));
    if (isNaN(start.getTime())) return;
    var target = el.parentNode.querySelector(".localtime");
    if (!target) return;
    // Show the day too when it differs from the event's own day.
    var otherDay = dayKey(start, zone) !== dayKey(start, readerZone);
    target.textContent = " · " + fmt(start, otherDay) + " " + target.getAttribute("data-local-label");
    target.hidden = false;
  });
})();
