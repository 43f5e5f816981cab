// The visitor's screen: idle, then the gate's decision full screen, then idle again.
// Every value from the gate goes into the page with textContent, never as HTML.
"use strict";
(function () {
  const body = document.body;
  const $ = (id) => document.getElementById(id);
  const MARKS = { green: "✓", red: "✗", amber: "!" };
  let showMs = 4000;
  let backToIdle = null;
  // decision -> shown, in ms, for the bench and the tests: [{reason, latency_ms}]
  window.qgShown = [];

  function idle() {
    body.dataset.view = "idle";
    body.dataset.verdict = "";
    $("result").hidden = true;
    $("idle").hidden = false;
  }

  function setMode(mode) {
    const el = $("mode");
    if (mode === "lockdown") { el.textContent = "Phong tỏa · Lockdown"; el.hidden = false; }
    else if (mode === "free_exit") { el.textContent = "Mở cửa ra tự do · Free exit"; el.hidden = false; }
    else { el.textContent = ""; el.hidden = true; }
  }

  function show(msg) {
    $("mark").textContent = MARKS[msg.verdict] || "";
    $("reason-vi").textContent = msg.text.vi;
    $("reason-en").textContent = msg.text.en;
    const cred = msg.credential;
    $("credential").textContent = cred ? cred.vi + " · " + cred.en : "";
    const occ = $("occupancy");
    if (msg.occupancy) {
      const cap = msg.occupancy.cap === null || msg.occupancy.cap === undefined ? "" : " / " + msg.occupancy.cap;
      occ.textContent = "Đang có " + msg.occupancy.inside + cap + " người · " + msg.occupancy.inside + cap + " inside";
      occ.hidden = false;
    } else {
      occ.textContent = "";
      occ.hidden = true;
    }
    body.dataset.verdict = msg.verdict;
    body.dataset.view = "result";
    $("idle").hidden = true;
    $("result").hidden = false;
    requestAnimationFrame(() => {
      const now = performance.timeOrigin + performance.now();
      window.qgShown.push({ reason: msg.reason, latency_ms: now - msg.decided_at * 1000 });
    });
    clearTimeout(backToIdle);
    backToIdle = setTimeout(idle, showMs);
  }

  function connect() {
    const source = new EventSource("/events/screen");
    source.onopen = () => { $("offline").hidden = true; };
    source.onerror = () => { $("offline").hidden = false; };
    source.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      if (msg.type === "hello") { showMs = msg.show_seconds * 1000; setMode(msg.mode); body.dataset.ready = "1"; }
      else if (msg.type === "mode") setMode(msg.mode);
      else if (msg.type === "result") show(msg);
    };
  }
  idle();
  connect();
})();
