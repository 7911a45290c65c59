(function () {
  "use strict";
  var token = new URLSearchParams(window.location.search).get("token");
  var form = document.getElementById("reset-form");
  var message = document.getElementById("message");
  function show(text, ok) {
    message.textContent = text;
    message.className = ok ? "ok" : "error";
  }
  function firstDetail(body) {
    var details = body && body.error && body.error.details;
    if (details && typeof details === "object") {
      var keys = Object.keys(details);
      if (keys.length) { return String(details[keys[0]]); }
    }
    return body && body.error ? body.error.message : "Something went wrong. Please try again.";
  }
  if (!token) { show("This link is incomplete.", false); return; }
  window.history.replaceState(null, "", window.location.pathname);
  form.hidden = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var password = document.getElementById("new-password").value;
    if (password !== document.getElementById("confirm-password").value) {
      show("The passwords do not match.", false);
      return;
    }
    document.getElementById("submit").disabled = true;
    fetch("/api/v1/auth/password/reset", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token, new_password: password }),
      credentials: "omit",
      referrerPolicy: "no-referrer"
    }).then(function (response) {
      return response.json().then(function (body) {
        if (response.ok) {
          form.hidden = true;
          show(body.data.message, true);
        } else {
          document.getElementById("submit").disabled = false;
          show(firstDetail(body), false);
        }
      });
    }).catch(function () {
      document.getElementById("submit").disabled = false;
      show("The service could not be reached. Please try again.", false);
    });
  });
}());
