// The managers' page: today's counts per gate and for the site, who is inside now (the site, each
// zone), the day's occupancy chart and the alarms, refreshed from the JSON API whenever the live stream says the server
// stored an event; the tracing form for the tracer role. Every value goes in with textContent.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const api = window.qgApi, text = window.qgText, chart = window.qgChart;
  const REFRESH_LATEST_MS = 100; // events arriving together are one refresh
  const MAX_ALARMS = 20;
  let session = null, siteId = "", siteTz = "UTC", lastOccupancy = null, lastTrace = null, lastToday = null, lastAlarms = null;
  let refreshing = false, again = false, pendingIds = [];
  window.qgShown = {}; // event id -> when the page showed it (ms since the epoch), for the bench

  function el(tag, value, cls) {
    const n = document.createElement(tag);
    if (value !== undefined && value !== null) n.textContent = String(value);
    if (cls) n.className = cls;
    return n;
  }
  function say(message, bad) { $("message").textContent = message || ""; $("message").className = bad ? "message error" : "message"; }
  function clock(at) { // the site's own time, whatever the browser's zone
    return new Date(at * 1000).toLocaleTimeString(text.lang() === "vi" ? "vi-VN" : "en-GB", { hour12: false, timeZone: siteTz });
  }

  // -- today's counts and who is inside -----------------------------------------------------------
  function showToday(t) {
    $("day").textContent = t.day || "";
    const body = $("gates");
    body.replaceChildren();
    for (const gate of Object.keys(t.gates).sort()) {
      const g = t.gates[gate];
      const tr = el("tr");
      tr.dataset.gate = gate;
      tr.append(el("th", gate), el("td", g.entries, "entries"), el("td", g.exits, "exits"), el("td", g.denials, "denials"));
      body.append(tr);
    }
    $("site-entries").textContent = t.total.entries;
    $("site-exits").textContent = t.total.exits;
    $("site-denials").textContent = t.total.denials;
    const places = Object.keys(t.inside).sort((a, b) => (a === t.site ? -1 : b === t.site ? 1 : a.localeCompare(b)));
    $("site-inside").textContent = places.reduce((n, p) => n + t.inside[p], 0);
    const list = $("places");
    list.replaceChildren();
    if (places.length < 2) return; // the site alone: its number is above; zones get one each
    for (const place of places) {
      const li = el("li");
      li.dataset.place = place;
      li.append(el("span", place === t.site ? text.t("site_total") + " (" + place + ")" : place), ": ",
                el("strong", t.inside[place], "inside"));
      list.append(li);
    }
  }

  // -- the chart ----------------------------------------------------------------------------------
  function showOccupancy(places, day) {
    lastOccupancy = [places, day];
    const now = lastToday && lastToday.site === siteId ? lastToday : null;
    const series = places.map((p) => {
      const points = p.points.map((q) => [q.at, q.inside]);
      // the steps are minutes apart: the line ends at this moment's number, the one shown above
      if (now && p.place in now.inside && (!points.length || points[points.length - 1][0] < now.at)) {
        points.push([now.at, now.inside[p.place]]);
      }
      return { label: p.place === siteId ? text.t("site_total") : p.place, points };
    });
    const first = places.find((p) => p.points.length);
    const start = first ? first.points[0].at : dayStart(day);
    chart.drawOccupancy($("chart"), series, start, start + 86400,
      { title: text.t("occupancy_chart"), empty: text.t("chart_empty") }, (h) => String(h).padStart(2, "0") + "h");
  }
  function dayStart(day) { return day ? Date.parse(day + "T00:00:00") / 1000 : Math.floor(Date.now() / 86400000) * 86400; }

  // -- alarms ---------------------------------------------------------------------------------------
  function showAlarms(rows) {
    lastAlarms = rows;
    const list = $("alarms");
    list.replaceChildren();
    if (!rows.length) list.append(el("li", text.t("none")));
    for (const a of rows.slice(0, MAX_ALARMS)) {
      const li = el("li", null, a.type === "alarm" ? "active" : "");
      li.dataset.alarm = a.alarm;
      li.append(el("span", clock(a.at), "where"), " ", el("span", a.gate, "where"), " ", el("strong", a.alarm), " ",
                el("span", "(" + text.t("alarm_" + a.type) + ")"));
      list.append(li);
    }
  }

  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      do {
        again = false;
        const ids = pendingIds;
        pendingIds = [];
        const [today, occupancy, alarms] = await Promise.all([
          api.get(api.PATHS.today(siteId)), api.get(api.PATHS.occupancy(siteId)), api.get(api.PATHS.alarms(siteId))]);
        lastToday = today;
        showToday(today);
        showOccupancy(occupancy, today.day);
        showAlarms(alarms);
        const shown = Date.now();
        for (const id of ids) window.qgShown[id] = shown;
        $("updated").textContent = clock(shown / 1000);
        document.body.dataset.ready = "1";
      } while (again);
    } catch (e) {
      if (e.status !== 401) say(String(e.message || e), true);
    } finally {
      refreshing = false;
    }
  }

  function listen() {
    const source = new EventSource(api.PATHS.live);
    let timer = null;
    source.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      if (msg.type === "events" && msg.site !== siteId) return;
      if (msg.type === "events") for (const e of msg.events) pendingIds.push(e.id);
      if ((msg.type === "hello" || msg.type === "events") && !timer) {
        timer = setTimeout(() => { timer = null; refresh(); }, msg.type === "hello" ? 0 : REFRESH_LATEST_MS);
      }
    };
    source.onerror = () => {
      $("live-dot").className = "dot off";
      say(text.t("connection_lost"), true);
      api.get(api.PATHS.session).catch(() => {}); // an ended session goes back to the login form
    };
    source.onopen = () => { $("live-dot").className = "dot on"; say(""); };
  }

  // -- contact tracing (tracer role) ----------------------------------------------------------------
  function traceRequest() {
    const body = { case: $("trace-who").value.trim().toLowerCase(), start: $("trace-from").value,
                   end: $("trace-to").value, purpose: $("trace-purpose").value.trim() };
    if (!body.case || !body.purpose || !body.start || !body.end) { say(text.t("trace_fill"), true); return null; }
    return body; // times as typed: the site's local time, which the server reads them as
  }

  function showTrace(result, holders) {
    lastTrace = [result, holders];
    $("trace-table").classList.toggle("reidentified", !!holders);
    const body = $("trace-rows");
    body.replaceChildren();
    for (const c of result.contacts) {
      const known = (holders && holders[c.pseudonym]) || [{}];
      for (const h of known) {
        const tr = el("tr");
        tr.dataset.pseudonym = c.pseudonym;
        tr.append(el("td", c.pseudonym), el("td", h.pass_id || "", "who-col"), el("td", h.name || "", "who-col"),
                  el("td", h.phone || "", "who-col"), el("td", c.minutes.toFixed(1), "minutes"),
                  el("td", clock(c.start) + " – " + clock(c.end)),
                  el("td", c.place + " (" + c.entry_gate + (c.exit_gate ? " → " + c.exit_gate : "") + ")"));
        body.append(tr);
      }
    }
    $("trace-table").hidden = false;
    $("trace-summary").textContent = result.people + " " + text.t("trace_found") + " · " + text.t("trace_case") + " " + result.case;
  }

  async function runTrace(event) {
    event.preventDefault();
    const request = traceRequest();
    if (!request) return;
    say("");
    try {
      const result = await api.post(api.PATHS.trace(siteId), request);
      let holders = null;
      const pseudonyms = [...new Set(result.contacts.map((c) => c.pseudonym))];
      if ($("trace-reidentify").checked && pseudonyms.length) {
        holders = (await api.post(api.PATHS.reidentify(siteId), { pseudonyms, purpose: request.purpose })).holders;
      }
      showTrace(result, holders);
    } catch (e) { if (e.status !== 401) say(e.message, true); }
  }

  async function downloadCsv() {
    const request = traceRequest();
    if (!request) return;
    request.reidentify = $("trace-reidentify").checked;
    try {
      const blob = await api.postBlob(api.PATHS.traceCsv(siteId), request);
      const link = $("trace-download");
      if (link.href) URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(blob);
      link.download = "trace-" + siteId + "-" + request.case.replace(/[^0-9a-f]/g, "") + ".csv";
      link.click();
    } catch (e) { if (e.status !== 401) say(e.message, true); }
  }

  function siteDay(date, tz) { // YYYY-MM-DD of `date` at the site (the server reads trace times as its local time)
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(date);
    const part = (type) => parts.find((p) => p.type === type).value;
    return part("year") + "-" + part("month") + "-" + part("day");
  }

  async function start() {
    session = await api.get(api.PATHS.session);
    api.setCsrf(session.csrf);
    const sites = await api.get(api.PATHS.sites);
    siteId = sites[0].id;
    siteTz = sites[0].tz;
    if (sites.length > 1) {
      const pick = $("site");
      for (const s of sites) pick.append(el("option", s.id));
      pick.hidden = false;
      pick.addEventListener("change", () => {
        siteId = pick.value;
        siteTz = sites.find((s) => s.id === siteId).tz;
        refresh();
      });
    }
    $("user").textContent = session.name;
    $("role").dataset.text = "role_" + session.role;
    $("role").textContent = text.t("role_" + session.role);
    document.body.dataset.role = session.role;
    if (session.role === "tracer") {
      $("trace-panel").hidden = false;
      const now = new Date(); // by default the last 14 days, to the end of today at the site
      $("trace-to").value = siteDay(now, siteTz) + "T23:59";
      $("trace-from").value = siteDay(new Date(now.getTime() - 14 * 86400000), siteTz) + "T00:00";
      $("trace-form").addEventListener("submit", runTrace);
      $("trace-csv").addEventListener("click", downloadCsv);
    } else {
      $("trace-panel").remove(); // managers read reports; the form is not theirs
    }
    $("logout").addEventListener("click", async () => {
      try { await api.post(api.PATHS.logout, {}); } finally { window.location.assign(api.PATHS.loginPage); }
    });
    document.addEventListener("qg-lang", () => {
      if (lastToday) showToday(lastToday); // every text the page wrote itself, again in the new language
      if (lastAlarms) showAlarms(lastAlarms);
      if (lastOccupancy) showOccupancy(...lastOccupancy);
      if (lastTrace) showTrace(...lastTrace);
    });
    listen();
  }
  start().catch((e) => { if (e.status !== 401) say(String(e.message || e), true); });
})();
