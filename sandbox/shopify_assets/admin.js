// The admin's half of the App Bridge stand-in: the framed app asks for a session token over
// postMessage, the admin fetches a fresh one from the sandbox (its own origin) and answers.
// The app's <ui-nav-menu> arrives the same way and is drawn under the app's name in the
// sidebar, as the real admin does; a click asks the app to load that page.
(function () {
  "use strict";
  const frame = document.getElementById("app-iframe");
  const appOrigin = frame.dataset.appOrigin;
  const tokenUrl = frame.dataset.tokenUrl;
  const menu = document.getElementById("app-nav-menu");

  function drawMenu(items, currentPath) {
    menu.replaceChildren();
    items.filter(function (item) { return !item.home; }).forEach(function (item) {
      const link = document.createElement("a");
      link.href = "#";
      link.textContent = item.label;
      link.dataset.path = item.path;
      if (item.path === currentPath) link.setAttribute("aria-current", "page");
      link.addEventListener("click", function (event) {
        event.preventDefault();
        frame.contentWindow.postMessage({ type: "sandbox-app-bridge:navigate", path: item.path }, appOrigin);
      });
      const entry = document.createElement("li");
      entry.append(link);
      menu.append(entry);
    });
  }

  window.addEventListener("message", async function (event) {
    const message = event.data || {};
    if (event.origin !== appOrigin || event.source !== frame.contentWindow) return;
    if (message.type === "sandbox-app-bridge:nav-menu") {
      drawMenu(message.items || [], message.path);
      return;
    }
    if (message.type !== "sandbox-app-bridge:id-token-request") return;
    const response = await fetch(tokenUrl, { method: "POST", cache: "no-store" });
    const body = await response.json();
    event.source.postMessage(
      { type: "sandbox-app-bridge:id-token", id: message.id, token: body.token },
      appOrigin
    );
  });
})();
