// The site's login: the answer sets the session cookie; the page then opens the managers' page.
"use strict";
(function () {
  const api = window.qgApi;
  const error = document.getElementById("login-error");
  document.body.dataset.ready = "1";
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
