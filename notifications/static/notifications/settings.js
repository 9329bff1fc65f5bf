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
