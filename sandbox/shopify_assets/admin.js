// The admin's half of the App Bridge stand-in: the framed app asks for a session token over
// postMessage, the admin fetches a fresh one from the sandbox (its own origin) and answers.
(function () {
  "use strict";
  const frame = document.getElementById("app-iframe");
  const appOrigin = frame.dataset.appOrigin;
  const tokenUrl = frame.dataset.tokenUrl;

  window.addEventListener("message", async function (event) {
    const message = event.data || {};
    if (event.origin !== appOrigin || event.source !== frame.contentWindow) return;
    if (message.type !== "sandbox-app-bridge:id-token-request") return;
    const response = await fetch(tokenUrl, { method: "POST", cache: "no-store" });
    const body = await response.json();
    event.source.postMessage(
      { type: "sandbox-app-bridge:id-token", id: message.id, token: body.token },
      appOrigin
    );
  });
})();
