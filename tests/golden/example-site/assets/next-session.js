/* circlepress: keeps "next session" and the calendar's "past" marks true on the day the page is
 * read, not the day it was built, showing times in the reader's own time zone. Without
 * JavaScript the page keeps its build-time answer and says "as of" which day that was. */
(function () {
  "use strict";

  function format(date, options) {
    return new Intl.DateTimeFormat(undefined, options).format(date);
  }

  function whenText(session, zone) {
    var reader = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!session.start) {
      var day = new Date(session.date + "T12:00:00");
      return { date: format(day, { weekday: "long", day: "numeric", month: "long", year: "numeric" }), time: "" };
    }
    var start = new Date(session.start), end = new Date(session.end);
    var hhmm = { hour: "2-digit", minute: "2-digit" };
    var time = ", " + format(start, hhmm) + "–" + format(end, hhmm);
    if (reader !== zone) {
      var there = Object.assign({ timeZone: zone }, hhmm);
      time += " your time (" + format(start, there) + " in " + zone + ")";
    }
    return { date: format(start, { weekday: "long", day: "numeric", month: "long", year: "numeric" }), time: time };
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
