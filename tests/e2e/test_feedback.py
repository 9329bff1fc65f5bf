"""Feedback in Chromium (standalone demo): Save shows it is busy and then "Settings saved";
the test email's notice follows the email without a reload; a language change is confirmed."""

from typing import Any

from django.core import mail
from playwright.sync_api import expect

from notifications import delivery
from notifications.models import Category, Email, Notification

PRESS_SAVE = """() => {
  const form = document.getElementById("notification-settings");
  const button = form.querySelector("button[type=submit]");
  form.requestSubmit(button);  // the submit handlers run now, the navigation comes after
  return [button.getAttribute("aria-busy"), button.textContent, form.getAttribute("aria-busy")];
}"""


def test_save_is_busy_then_confirms_in_the_shops_language(
    demo_login: Any, app_url: str, make_shop: Any
) -> None:
    page = demo_login(make_shop(locale="de"))
    page.goto(f"{app_url}/settings/")
    assert page.evaluate(PRESS_SAVE) == ["true", "Wird gespeichert …", "true"]
    expect(page.locator("[data-message]")).to_have_text("Einstellungen gespeichert.")
    expect(page.locator("[data-message]")).to_have_attribute("role", "status")


def test_the_test_email_notice_turns_to_sent_without_a_reload(
    demo_login: Any, app_url: str, shop: Any
) -> None:
    # As the outbox leaves it until a worker sends it: composed and queued.
    email = Email.objects.create(
        shop=shop,
        category=Category.TEST,
        recipient=shop.owner_email,
        language="en",
        subject="Salestio test email",
        text="test",
        html="<p>test</p>",
    )
    test = Notification.objects.create(
        shop=shop, category=Category.TEST, key="test:e2e", email=email
    )
    page = demo_login(shop)
    page.goto(f"{app_url}/settings/?test={test.pk}")
    notice = page.locator("#test-result [data-test-status]")
    expect(notice).to_have_attribute("data-test-status", "queued")
    page.evaluate("window.notReloaded = true")

    delivery.deliver(email_id=email.pk)

    expect(notice).to_have_attribute("data-test-status", "sent")
    expect(notice).to_contain_text("Sent")
    assert page.evaluate("window.notReloaded") is True
    assert [m.subject for m in mail.outbox] == ["Salestio test email"]


def test_a_language_change_is_confirmed_in_the_new_language(
    demo_login: Any, app_url: str, shop: Any
) -> None:
    page = demo_login(shop)
    page.select_option("#language", "de")
    page.click("#language-form button")
    expect(page.locator("[data-message]")).to_have_text("Sprache auf Deutsch umgestellt.")
    expect(page.locator("h1.page-title")).to_have_text("Dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "de")
