// Stand-in for Shopify's App Bridge (cdn.shopify.com/shopifycloud/app-bridge.js), served by the
// sandbox. Like the real one, inside the admin iframe it provides window.shopify.idToken(), adds
// "Authorization: Bearer <session token>" to the app's own fetch requests, hides <ui-nav-menu>
// (the admin shows that menu), and on the bounce page (?shopify-reload=<path>) reloads <path>
// with a fresh id_token.
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
    if (event.origin !== adminOrigin || message.type !== "sandbox-app-bridge:id-token") return;
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

  if (!customElements.get("ui-nav-menu")) {
    customElements.define("ui-nav-menu", class extends HTMLElement {
      connectedCallback() { this.hidden = true; }
    });
  }

  window.shopify = {
    config: { apiKey: (script.dataset.apiKey || (meta && meta.content) || "") },
    idToken: idToken,
  };

  const reload = new URLSearchParams(window.location.search).get("shopify-reload");
  if (reload !== null && window.parent !== window) {
    const target = new URL(reload, window.location.origin);
    if (target.origin === window.location.origin) {
      idToken().then(function (token) {
        target.searchParams.set("id_token", token);
        window.location.replace(target.href);
      });
    }
  }
})();
