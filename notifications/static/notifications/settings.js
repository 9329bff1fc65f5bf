// "Use default shop email" hides the address field: the owner's email from Shopify is used.
// Without this script the field stays visible and the server ignores it while the box is ticked.
(function () {
  const box = document.querySelector("#notification-settings input[name='use_shop_email']");
  const field = document.querySelector("#notification-settings [data-email-field]");
  const note = document.querySelector("#notification-settings [data-shop-email]");
  if (!box || !field) return;
  function sync() {
    field.hidden = box.checked;
    if (note) note.hidden = !box.checked;
  }
  box.addEventListener("change", sync);
  sync();
})();

// The test email's notice follows the email (queued → sent or failed) without a reload: the
// status endpoint answers the notice as it stands; polling stops once it has no poll URL.
(function () {
  const region = document.getElementById("test-result");
  if (!region) return;
  const POLL_MS = 1500;
  function poll() {
    const banner = region.querySelector("[data-poll-url]");
    if (!banner) return;
    window.setTimeout(async function () {
      try {
        const response = await fetch(banner.dataset.pollUrl, { headers: { Accept: "application/json" } });
        if (response.ok) region.innerHTML = (await response.json()).html;
      } catch (error) { /* offline for a moment: ask again */ }
      poll();
    }, POLL_MS);
  }
  poll();
})();
