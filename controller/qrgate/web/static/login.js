// The guard's login: the form's CSRF token comes with a cookie from /console/login-token.
"use strict";
(function () {
  let csrf = "";
  const error = document.getElementById("login-error");
  fetch("/console/login-token", { credentials: "same-origin" })
    .then((r) => r.json()).then((d) => { csrf = d.csrf; document.body.dataset.ready = "1"; })
    .catch(() => { error.textContent = "Không kết nối được cổng · Cannot reach the gate"; });
  document.getElementById("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const body = JSON.stringify({ name: document.getElementById("name").value,
                                  password: document.getElementById("password").value });
    try {
      const r = await fetch("/console/login", { method: "POST", credentials: "same-origin", body,
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf } });
      const d = await r.json();
      if (d.ok) { window.location.assign("/console"); return; }
      error.textContent = d.error || ("HTTP " + r.status);
    } catch (e) {
      error.textContent = "Không kết nối được cổng · Cannot reach the gate";
    }
  });
})();
