/* circlepress: keeps "next session" and the calendar's "past" marks true on the day the page is
 * read, not the day it was built, showing times in the reader's own time zone. Without
 * JavaScript the page keeps its build-time answer and says "as of" which day that was. */
(function () {
  "use strict";

  /* Dates and times in the page's language (<html lang>, e.g. en-GB: "Thu 14 Jan 2027, 17:00"),
   * the 12- or 24-hour clock as that language has it. */
  var lang = document.documentElement.lang || undefined;
  var DAY = { weekday: "short", day: "numeric", month: "short", year: "numeric" };
  var HHMM = { hour: "numeric", minute: "2-digit" };

  function format(date, options) {
    try { return new Intl.DateTimeFormat(lang, options).format(date); } catch (e) {  /* a lang Intl refuses */
      return new Intl.DateTimeFormat(undefined, options).format(date);
    }
  }

  /* A zone by a name people say: "Central European Time", else the city of its IANA id. */
  function zoneName(zone, date) {
    var kinds = ["longGeneric", "long"];
    for (var i = 0; i < kinds.length; i++) {
      try {
        var parts = new Intl.DateTimeFormat(lang, { timeZone: zone, timeZoneName: kinds[i] }).formatToParts(date);
        var name = parts.filter(function (p) { return p.type === "timeZoneName"; })[0];
        if (name && !/^GMT[+-−]/.test(name.value)) return name.value;
      } catch (e) { /* an engine without this kind of name */ }
    }
    return city(zone);
  }

  function city(zone) {
    return zone.slice(zone.lastIndexOf("/") + 1).replace(/_/g, " ");
  }

  function whenText(session, zone) {
    var reader = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!session.start) {
      var day = new Date(session.date + "T12:00:00");
      return { date: format(day, DAY), time: "" };
    }
    var start = new Date(session.start), end = new Date(session.end);
    var time = ", " + format(start, HHMM) + "–" + format(end, HHMM);
    if (reader !== zone) {
      var there = Object.assign({ timeZone: zone }, HHMM);
      time += " your time (" + zoneName(reader, start) + "; " + format(start, there) + " in " + city(zone) + ")";
    }
    return { date: format(start, DAY), time: time };
  }

  function isOver(session, now) {
    if (session.end) return new Date(session.end) <= now;
    return new Date(session.date + "T23:59:59") < now;
  }

  function fill(block, now) {
    var data = JSON.parse(block.querySelector('[data-next="data"]').textContent);
    var next = data.sessions.filter(function (s) { return !isOver(s, now); })[0];
    var part = function (name) { return block.querySelector('[data-next="' + name + '"]'); };
    part("meeting").hidden = !next;
    part("none").hidden = !!next;
    part("asof").textContent = "Times are shown in your time zone.";
    var add = part("add");  /* the card's add-to-calendar links are the build's next session's */
    if (add) add.hidden = !next || String(next.number) !== add.getAttribute("data-session");
    if (!next) return;
    var when = whenText(next, data.zone);
    part("date").textContent = when.date;
    part("time").textContent = when.time;
    part("topic").textContent = next.topic || "to be decided";
    part("leaders").textContent = next.leaders || "to be decided";
    var where = part("where");
    where.textContent = next.place || "";
    if (next.online) {
      if (next.place) where.appendChild(document.createTextNode(", or "));
      var link = document.createElement("a");
      link.href = next.online;
      link.textContent = "join online";
      where.appendChild(link);
    }
    if (!next.place && !next.online) where.textContent = "to be decided";
  }

  function markPast(now) {
    var rows = document.querySelectorAll("tr[data-end]"), marked = false;
    for (var i = 0; i < rows.length; i++) {
      var over = new Date(rows[i].getAttribute("data-end")) <= now;
      var next = !over && !marked;  /* the first session not over is the next one */
      marked = marked || next;
      rows[i].classList.toggle("next", next);
      var nextTag = rows[i].querySelector(".next-tag");
      if (nextTag) nextTag.hidden = !next;
      rows[i].classList.toggle("past", over);
      rows[i].classList.toggle("upcoming", !over);
      var tag = rows[i].querySelector(".past-tag");
      if (tag) tag.hidden = !over;
    }
  }

  function update() {
    var now = new Date();
    var blocks = document.querySelectorAll("[data-next-session]");
    for (var i = 0; i < blocks.length; i++) fill(blocks[i], now);
    markPast(now);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", update);
  else update();
  document.addEventListener("circlepress:opened", update);  /* a private page, once decrypted */
  setInterval(update, 60 * 1000);  /* a page left open moves on when a meeting ends */
})();
