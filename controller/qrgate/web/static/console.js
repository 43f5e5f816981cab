// The guard's console. Every value from the gate goes into the page with textContent; every
// POST carries the session's CSRF token; every action needs a reason.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let csrf = "";
  const MAX_ROWS = 100;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function both(t) { return t ? t.vi + " · " + t.en : ""; }
  function clock(at) { return new Date(at * 1000).toLocaleTimeString("vi-VN", { hour12: false }); }
  function say(text, bad) { const m = $("message"); m.textContent = text; m.className = bad ? "message error" : "message"; }

  async function post(url, body) {
    const r = await fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf } });
    if (r.status === 401) { window.location.assign("/console/login"); throw new Error("log in again"); }
    return r.json();
  }

  async function act(body) {
    body.why = $("why").value.trim();
    if (!body.why) { say("Nhập lý do · Give a reason", true); $("why").focus(); return; }
    try {
      const d = await post("/console/api/action", body);
      if (d.error) say(d.error, true);
      else say((d.ok ? "✓ " : "✗ ") + body.name + ": " + both(d.text), !d.ok);
    } catch (e) { say(String(e.message || e), true); }
  }

  function addRow(row, atTop) {
    const tr = el("tr");
    tr.dataset.id = row.id;
    tr.dataset.type = row.event_type;
    tr.append(el("td", clock(row.at)), el("td", row.gate + " " + row.reader),
              el("td", row.granted ? "Mở · Open" : "Từ chối · Denied", row.verdict),
              el("td", both(row.text)), el("td", row.pass_id || ""), el("td", both(row.kind)),
              el("td", row.by || ""));
    const body = $("decisions");
    if (atTop) body.prepend(tr); else body.append(tr);
    while (body.children.length > MAX_ROWS) body.lastElementChild.remove();
  }

  function showStatus(msg) {
    const s = msg.state || {};
    $("status").textContent = "Chế độ · Mode: " + s.mode + " · Cửa · Door: " + s.door + " · Camera: " + s.camera +
      " · I/O: " + s.io_link + " · Trong · Inside: " + msg.occupancy;
    const list = $("alarms");
    list.replaceChildren();
    const alarms = msg.alarms || {};
    const names = Object.keys(alarms).filter((n) => alarms[n].active || (alarms[n].latched && !alarms[n].acked_at));
    if (!names.length) list.append(el("li", "Không có · None"));
    for (const name of names) {
      const a = alarms[name];
      const li = el("li", name + (a.active ? " (đang · active)" : " (đã hết · cleared)"), a.active ? "active" : "");
      const b = el("button", "Xác nhận · Acknowledge");
      b.type = "button";
      b.dataset.alarm = name;
      b.addEventListener("click", () => act({ name: "ack_alarm", value: name }));
      li.append(" ", b);
      list.append(li);
    }
    if (msg.pending !== undefined) showPending(msg.pending);
  }

  function showPending(items) {
    const list = $("pending");
    list.replaceChildren();
    if (!items.length) list.append(el("li", "Không có · None"));
    for (const p of items) {
      const li = el("li", (p.at ? clock(p.at) + " " : "") + both(p.text) + (p.pass_id ? " #" + p.pass_id : ""));
      for (const [label, allow] of [["Cho vào · Admit", true], ["Từ chối · Refuse", false]]) {
        const b = el("button", label);
        b.type = "button";
        b.addEventListener("click", () => act({ name: "confirm", value: p.id, allow }));
        li.append(" ", b);
      }
      list.append(li);
    }
  }

  function listen() {
    const source = new EventSource("/console/events");
    source.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      if (msg.type === "hello") {
        $("decisions").replaceChildren();
        for (const row of msg.rows) addRow(row, true);
        showStatus(msg);
        document.body.dataset.ready = "1";
      } else if (msg.type === "decision") addRow(msg, true);
      else if (msg.type === "status") showStatus(msg);
    };
    source.onerror = () => say("Mất kết nối, đang thử lại · Connection lost, retrying", true);
    source.onopen = () => say("");
  }

  async function start() {
    const r = await fetch("/console/api/session", { credentials: "same-origin" });
    if (r.status === 401) { window.location.assign("/console/login"); return; }
    const s = await r.json();
    csrf = s.csrf;
    $("guard").textContent = s.guard;
    $("pending-panel").hidden = !s.pending;
    if (!s.paper.available) {
      $("paper-problem").textContent = s.paper.problem;
      $("paper-problem").hidden = false;
      $("paper-issue").disabled = true;
    }
    for (const b of document.querySelectorAll("button[data-action]")) {
      b.addEventListener("click", () => {
        const body = { name: b.dataset.action };
        if (b.dataset.value !== undefined) body.value = b.dataset.value === "true";
        act(body);
      });
    }
    $("mark-left").addEventListener("click", () => act({ name: "mark_left", value: $("left-pass").value.trim() }));
    $("logout").addEventListener("click", async () => {
      try { await post("/console/logout", {}); } finally { window.location.assign("/console/login"); }
    });
    $("paper-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const d = await post("/console/api/paper", { holder: $("paper-holder").value,
        label: $("paper-label").value, kind: $("paper-kind").value });
      if (!d.ok) { $("paper-result").textContent = d.error; return; }
      $("paper-holder").value = "";
      $("paper-result").textContent = "#" + d.pass_id + " · " + new Date(d.valid_until * 1000).toLocaleString("vi-VN");
      const img = $("paper-sheet");
      img.src = d.sheet;
      img.hidden = false;
      $("paper-print").hidden = false;
    });
    $("paper-print").addEventListener("click", () => window.print());
    listen();
  }
  start();
})();
