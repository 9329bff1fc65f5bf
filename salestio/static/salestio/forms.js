// Inside the Shopify admin iframe nothing may rely on cookies: forms are sent with fetch,
// to which App Bridge adds the session token (Authorization: Bearer …). That token is the
// request's CSRF protection too. Outside the admin (demo mode) forms post as plain HTML.
(function () {
  if (!window.shopify || window.top === window) return;
  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    event.preventDefault();
    const body = new FormData(form);
    if (event.submitter && event.submitter.name) body.append(event.submitter.name, event.submitter.value);
    const response = await fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: body,
      headers: { "X-Requested-With": "fetch" },
    });
    if (response.redirected) {
      window.location.assign(response.url);
      return;
    }
    const html = await response.text();
    document.open();
    document.write(html);
    document.close();
  });
})();
