// The site's login: the form's CSRF token comes with a short-lived cookie, the session's with the answer.
"use strict";
(function () {
  const api = window.qgApi;
  const error = document.getElementById("login-error");
  api.get(api.PATHS.loginToken)
    .then((d) => { api.setCsrf(d.csrf); document.body.dataset.ready = "1"; })
    .catch(() => { error.textContent = window.qgText.t("cannot_reach"); });
  document.getElementById("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await api.post(api.PATHS.login, { name: document.getElementById("name").value,
                                        password: document.getElementById("password").value });
      window.location.assign(api.PATHS.managerPage);
    } catch (e) {
      error.textContent = e.status ? e.message : window.qgText.t("cannot_reach");
    }
  });
})();
