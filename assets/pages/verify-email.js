(function () {
  "use strict";
  var token = new URLSearchParams(window.location.search).get("token");
  var message = document.getElementById("message");
  function show(text, ok) {
    message.textContent = text;
    message.className = ok ? "ok" : "error";
  }
  if (!token) { show("This link is incomplete.", false); return; }
  window.history.replaceState(null, "", window.location.pathname);
  fetch("/api/v1/auth/email/verify", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: token }),
    credentials: "omit",
    referrerPolicy: "no-referrer"
  }).then(function (response) {
    return response.json().then(function (body) {
      if (response.ok) {
        show(body.data.message, true);
      } else {
        show(body.error ? body.error.message : "Something went wrong.", false);
      }
    });
  }).catch(function () {
    show("The service could not be reached. Please try again.", false);
  });
}());
