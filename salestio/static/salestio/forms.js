// Forms and links of every page. A submitted form shows its busy state (the button says
// "Saving…" and cannot be pressed twice). Inside the Shopify admin iframe nothing may rely on
// cookies: forms are sent with fetch, to which App Bridge adds the session token
// (Authorization: Bearer …), which is the request's CSRF protection too; in-app links load
// their page once, with a fresh session token on the URL (as the admin's first load does),
// instead of landing on the bounce page and loading a second time. Outside the admin (demo
// mode) forms post and links navigate as plain HTML.
(function () {
  const script = document.currentScript;
  const busyLabel = script.dataset.busyLabel || "Saving…";
  const embedded = Boolean(window.shopify && window.top !== window && window.shopify.idToken);

  function markBusy(form, submitter) {
    form.dataset.submitting = "1";
    form.setAttribute("aria-busy", "true");
    const button = submitter || form.querySelector("button[type=submit], button:not([type])");
    if (!button) return;
    button.setAttribute("aria-busy", "true");
    button.dataset.label = button.textContent;
    button.textContent = busyLabel;
  }

  function clearBusy(form) {
    delete form.dataset.submitting;
    form.removeAttribute("aria-busy");
    form.querySelectorAll("button[aria-busy]").forEach(function (button) {
      button.removeAttribute("aria-busy");
      if (button.dataset.label) button.textContent = button.dataset.label;
    });
  }

  function showPage(html, url) {
    // The fetched page is shown as it is: reloading it would cost a bounce round trip and
    // would consume the flash message the response already rendered.
    history.replaceState(null, "", url);
    document.open();
    document.write(html);
    document.close();
  }

  function showError(form, text) {
    let note = form.querySelector(".form-error");
    if (!note) {
      note = document.createElement("p");
      note.className = "form-error errorlist";
      note.setAttribute("role", "alert");
      form.prepend(note);
    }
    note.textContent = text;
  }

  async function postEmbedded(form, submitter) {
    const body = new FormData(form);
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    try {
      const response = await fetch(form.getAttribute("action") || window.location.pathname, {
        method: "POST",
        body: body,
        headers: { "X-Requested-With": "fetch" },
      });
      showPage(await response.text(), response.url);
    } catch (error) {
      clearBusy(form);
      showError(form, script.dataset.networkError);
    }
  }

  function openWithToken(url) {
    window.shopify.idToken().then(function (token) {
      url.searchParams.set("id_token", token);
      window.location.assign(url.href);
    });
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.method.toLowerCase() !== "post") {
      // A filter form inside the admin: one load with a token, like a link.
      if (!embedded) return;
      event.preventDefault();
      const url = new URL(form.getAttribute("action") || window.location.pathname, window.location.href);
      url.search = new URLSearchParams(new FormData(form)).toString();
      openWithToken(url);
      return;
    }
    if (form.dataset.submitting) { event.preventDefault(); return; }  // no double post
    markBusy(form, event.submitter);
    // Inside the admin every form goes by fetch, the marketplace logins too: their answer is
    // a page that moves the top window on (a plain top-level post would carry no token).
    if (!embedded) return;
    event.preventDefault();
    postEmbedded(form, event.submitter);
  });

  // Back to a page from the browser's cache: its forms are not being sent any more.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) document.querySelectorAll("form[aria-busy]").forEach(clearBusy);
  });

  if (!embedded) return;
  document.addEventListener("click", function (event) {
    const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (link.target && link.target !== "_self") return;
    const url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin || link.hasAttribute("download")) return;
    if (url.pathname === window.location.pathname && url.search === window.location.search && url.hash) return;
    event.preventDefault();
    openWithToken(url);
  });
})();
