// The one place the site pages name the server's endpoints. Every POST carries the session's
// CSRF token in X-CSRF-Token; a 401 sends the page back to the login form.
"use strict";
(function () {
  const site = (id) => "/api/sites/" + encodeURIComponent(id);
  const PATHS = {
    login: "/api/login",
    logout: "/api/logout",
    session: "/api/me",
    sites: "/api/sites",
    today: (id) => site(id) + "/today",
    occupancy: (id) => site(id) + "/occupancy?step_minutes=5",
    alarms: (id) => site(id) + "/alarms?limit=50",
    trace: (id) => site(id) + "/trace",
    traceCsv: (id) => site(id) + "/trace.csv",
    reidentify: (id) => site(id) + "/reidentify",
    live: "/manage/events",
    loginPage: "/login",
    managerPage: "/manage",
  };
  let csrf = "";

  class HttpError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }

  function problem(body) { // FastAPI says what is wrong in detail: a text, or a list of {loc, msg}
    const detail = body && (body.detail || body.error);
    if (Array.isArray(detail)) return detail.map((d) => (d.loc || []).slice(1).join(".") + ": " + d.msg).join("; ");
    return detail ? String(detail) : "";
  }
  async function answer(r) {
    if (r.status === 401 && window.location.pathname !== PATHS.loginPage) {
      window.location.assign(PATHS.loginPage);
      throw new HttpError(401, "log in");
    }
    let body = null;
    try { body = await r.json(); } catch (e) { /* not JSON: the status says it */ }
    if (!r.ok) throw new HttpError(r.status, problem(body) || ("HTTP " + r.status));
    return body;
  }
  async function get(path) {
    return answer(await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } }));
  }
  function postInit(body) {
    return { method: "POST", credentials: "same-origin", body: JSON.stringify(body),
             headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf } };
  }
  async function post(path, body) { return answer(await fetch(path, postInit(body))); }
  async function postBlob(path, body) {
    const r = await fetch(path, postInit(body));
    if (!r.ok) await answer(r);
    return r.blob();
  }

  window.qgApi = {
    PATHS, HttpError, get, post, postBlob,
    setCsrf: (token) => { csrf = token || ""; },
  };
})();
