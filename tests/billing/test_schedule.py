"""The billing jobs are on the beat schedule and name tasks that exist."""

from django.conf import settings

from salestio.celery import app


def test_the_sweep_rollover_and_rates_are_scheduled() -> None:
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    billing = {
        "billing.tasks.sweep_usage_limits",
        "billing.tasks.roll_over_usage_periods",
        "billing.tasks.refresh_exchange_rates",
    }
    assert billing <= scheduled
    app.loader.import_default_modules()
    assert billing <= set(app.tasks)
