// Stand-in for Shopify's App Bridge (cdn.shopify.com/shopifycloud/app-bridge.js), served by the
// sandbox. Like the real one, inside the admin iframe it provides window.shopify.idToken(), adds
// "Authorization: Bearer <session token>" to the app's own fetch requests, hands <ui-nav-menu>'s
// links to the admin (which draws that menu; the element itself stays hidden) and loads the
// page the admin's menu asks for with a fresh id_token, and on the bounce page
// (?shopify-reload=<path>) reloads <path> with a fresh id_token.
(function () {
  "use strict";
  const script = document.currentScript;
  // The sandbox serves this script and the admin page from one origin.
  const adminOrigin = new URL(script.src).origin;
  const meta = document.querySelector('meta[name="shopify-api-key"]');
  const pending = new Map();
  let lastId = 0;

  window.addEventListener("message", function (event) {
    const message = event.data || {};
    if (event.origin !== adminOrigin) return;
    if (message.type === "sandbox-app-bridge:navigate") {
      openWithToken(new URL(message.path, window.location.origin));
      return;
    }
    if (message.type !== "sandbox-app-bridge:id-token") return;
    const resolve = pending.get(message.id);
    pending.delete(message.id);
    if (resolve) resolve(message.token);
  });

  function idToken() {
    if (window.parent === window) {
      return Promise.reject(new Error("App Bridge: the app is not inside the Shopify admin"));
    }
    return new Promise(function (resolve) {
      lastId += 1;
      pending.set(lastId, resolve);
      window.parent.postMessage({ type: "sandbox-app-bridge:id-token-request", id: lastId }, adminOrigin);
    });
  }

  const nativeFetch = window.fetch.bind(window);
  window.fetch = async function (input, init) {
    const url = new URL(input instanceof Request ? input.url : String(input), window.location.href);
    if (url.origin !== window.location.origin) return nativeFetch(input, init);
    const options = Object.assign({}, init);
    const headers = new Headers(options.headers || (input instanceof Request ? input.headers : undefined));
    if (!headers.has("Authorization")) headers.set("Authorization", "Bearer " + (await idToken()));
    options.headers = headers;
    return nativeFetch(input, options);
  };

  function openWithToken(target) {
    if (target.origin !== window.location.origin) return;
    idToken().then(function (token) {
      target.searchParams.set("id_token", token);
      window.location.replace(target.href);
    });
  }

  function publishMenu(menu) {
    if (window.parent === window) return;
    const items = Array.from(menu.querySelectorAll("a[href]")).map(function (link) {
      return { label: link.textContent.trim(), path: link.getAttribute("href"), home: link.rel === "home" };
    });
    window.parent.postMessage(
      { type: "sandbox-app-bridge:nav-menu", items: items, path: window.location.pathname },
      adminOrigin
    );
  }

  if (!customElements.get("ui-nav-menu")) {
    customElements.define("ui-nav-menu", class extends HTMLElement {
      connectedCallback() {
        this.hidden = true;
        // The links are parsed after the element connects.
        document.addEventListener("DOMContentLoaded", () => publishMenu(this), { once: true });
      }
    });
  }

  window.shopify = {
    config: { apiKey: (script.dataset.apiKey || (meta && meta.content) || "") },
    idToken: idToken,
  };

  const reload = new URLSearchParams(window.location.search).get("shopify-reload");
  if (reload !== null && window.parent !== window) {
    openWithToken(new URL(reload, window.location.origin));
  }
})();
