// The managers' page: today's counts and occupancy per gate and for the site, the day's occupancy
// chart and the alarms, refreshed from the JSON API whenever the live stream says the server
// stored an event; the tracing form for the tracer role. Every value goes in with textContent.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const api = window.qgApi, text = window.qgText, chart = window.qgChart;
  const REFRESH_LATEST_MS = 100; // events arriving together are one refresh
  let session = null, lastOccupancy = null, lastTrace = null;
  let refreshing = false, again = false, pendingIds = [];
  window.qgShown = {}; // event id -> when the page showed it (ms since the epoch), for the bench

  function el(tag, value, cls) {
    const n = document.createElement(tag);
    if (value !== undefined && value !== null) n.textContent = String(value);
    if (cls) n.className = cls;
    return n;
  }
  function say(message, bad) { $("message").textContent = message || ""; $("message").className = bad ? "message error" : "message"; }
  function clock(at) { return new Date(at * 1000).toLocaleTimeString(text.lang() === "vi" ? "vi-VN" : "en-GB", { hour12: false }); }

  // -- today's counts -------------------------------------------------------------------------
  function showCounts(c) {
    $("day").textContent = c.day || "";
    const body = $("gates");
    body.replaceChildren();
    for (const g of c.gates) {
      const tr = el("tr");
      tr.dataset.gate = g.gate;
      tr.append(el("th", g.site && c.sites > 1 ? g.site + " / " + g.gate : g.gate),
                el("td", g.entries, "entries"), el("td", g.exits, "exits"),
                el("td", g.denials, "denials"), el("td", g.occupancy, "inside"));
      body.append(tr);
    }
    $("site-entries").textContent = c.site.entries;
    $("site-exits").textContent = c.site.exits;
    $("site-denials").textContent = c.site.denials;
    $("site-inside").textContent = c.site.occupancy;
  }

  // -- the chart -------------------------------------------------------------------------------
  function showOccupancy(o) {
    lastOccupancy = o;
    chart.drawOccupancy($("chart"), o.points, o.start, o.end,
      { title: text.t("occupancy_chart"), empty: text.t("chart_empty") }, (h) => String(h).padStart(2, "0") + "h");
  }

  // -- alarms ----------------------------------------------------------------------------------
  function showAlarms(alarms) {
    const list = $("alarms");
    list.replaceChildren();
    if (!alarms.length) list.append(el("li", text.t("none")));
    for (const a of alarms) {
      const li = el("li", null, a.active ? "active" : "");
      li.dataset.alarm = a.name;
      li.append(el("span", a.gate, "where"), " ", el("strong", a.name), " ",
                el("span", "(" + text.t(a.active ? "active" : "cleared") + (a.since ? ", " + clock(a.since) : "") + ")"));
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
        const [counts, occupancy, alarms] = await Promise.all([
          api.get(api.PATHS.counts), api.get(api.PATHS.occupancy), api.get(api.PATHS.alarms)]);
        showCounts(counts);
        showOccupancy(occupancy);
        showAlarms(alarms.alarms);
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
      if (msg.type === "event" && msg.id) pendingIds.push(msg.id);
      if (msg.type === "hello" || msg.type === "event") {
        if (!timer) timer = setTimeout(() => { timer = null; refresh(); }, msg.type === "hello" ? 0 : REFRESH_LATEST_MS);
      }
    };
    source.onerror = () => { $("live-dot").className = "dot off"; say(text.t("connection_lost"), true); };
    source.onopen = () => { $("live-dot").className = "dot on"; say(""); };
  }

  // -- contact tracing (tracer role) --------------------------------------------------------------
  function traceRequest() {
    const who = $("trace-who").value.trim(), purpose = $("trace-purpose").value.trim();
    const from = Date.parse($("trace-from").value), to = Date.parse($("trace-to").value);
    if (!who || !purpose || !(from < to)) { say(text.t("trace_fill"), true); return null; }
    return { who, from: from / 1000, to: to / 1000, purpose, reidentify: $("trace-reidentify").checked };
  }

  function showTrace(result) {
    lastTrace = result;
    const reidentified = result.rows.some((r) => r.name !== undefined || r.phone !== undefined);
    $("trace-table").classList.toggle("reidentified", reidentified);
    const body = $("trace-rows");
    body.replaceChildren();
    for (const r of result.rows) {
      const tr = el("tr");
      tr.append(el("td", r.pseudonym), el("td", r.pass_id || ""), el("td", r.name || "", "who-col"),
                el("td", r.phone || "", "who-col"), el("td", Math.round(r.minutes), "minutes"),
                el("td", (r.where || []).join(", ")));
      body.append(tr);
    }
    $("trace-table").hidden = false;
    $("trace-summary").textContent = result.rows.length + " " + text.t("trace_found");
  }

  async function runTrace(event) {
    event.preventDefault();
    const request = traceRequest();
    if (!request) return;
    say("");
    try { showTrace(await api.post(api.PATHS.trace, request)); } catch (e) { if (e.status !== 401) say(e.message, true); }
  }

  async function downloadCsv() {
    const request = traceRequest();
    if (!request) return;
    try {
      const blob = await api.postBlob(api.PATHS.traceCsv, request);
      const link = $("trace-download");
      if (link.href) URL.revokeObjectURL(link.href);
      link.href = URL.createObjectURL(blob);
      link.download = "trace-" + request.who.replace(/[^A-Za-z0-9_-]/g, "") + ".csv";
      link.click();
    } catch (e) { if (e.status !== 401) say(e.message, true); }
  }

  function localInput(date) { // a datetime-local value in the browser's time zone
    const d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
    return d.toISOString().slice(0, 16);
  }

  async function start() {
    session = await api.get(api.PATHS.session);
    api.setCsrf(session.csrf);
    $("user").textContent = session.name;
    $("role").dataset.text = "role_" + session.role;
    $("role").textContent = text.t("role_" + session.role);
    document.body.dataset.role = session.role;
    if (session.role === "tracer") {
      $("trace-panel").hidden = false;
      const now = new Date();
      $("trace-to").value = localInput(now);
      $("trace-from").value = localInput(new Date(now.getTime() - 14 * 86400000));
      $("trace-form").addEventListener("submit", runTrace);
      $("trace-csv").addEventListener("click", downloadCsv);
    } else {
      $("trace-panel").remove(); // managers read reports; the form is not theirs
    }
    $("logout").addEventListener("click", async () => {
      try { await api.post(api.PATHS.logout, {}); } finally { window.location.assign(api.PATHS.loginPage); }
    });
    document.addEventListener("qg-lang", () => {
      if (lastOccupancy) showOccupancy(lastOccupancy);
      if (lastTrace) showTrace(lastTrace);
    });
    listen();
  }
  start().catch((e) => { if (e.status !== 401) say(String(e.message || e), true); });
})();
