// Inside the Shopify admin iframe nothing may rely on cookies: forms are sent with fetch,
// to which App Bridge adds the session token (Authorization: Bearer …). That token is the
// request's CSRF protection too. Outside the admin (demo mode) forms post as plain HTML.
(function () {
  if (!window.shopify || window.top === window) return;

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

  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    event.preventDefault();
    if (form.dataset.submitting) return;  // a double click must not post twice
    form.dataset.submitting = "1";
    const body = new FormData(form);
    if (event.submitter && event.submitter.name) body.append(event.submitter.name, event.submitter.value);
    try {
      const response = await fetch(form.getAttribute("action") || window.location.pathname, {
        method: "POST",
        body: body,
        headers: { "X-Requested-With": "fetch" },
      });
      showPage(await response.text(), response.url);
    } catch (error) {
      delete form.dataset.submitting;
      showError(form, form.dataset.networkError || "The form could not be sent. Check your connection and try again.");
    }
  });
})();
