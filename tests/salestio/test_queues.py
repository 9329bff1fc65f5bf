"""Tasks are routed by latency class, so sync work never queues in front of an email."""

from salestio.celery import app


def queue_of(task_name: str) -> str:
    route = app.amqp.router.route({}, task_name)
    return str(route["queue"].name)


def test_the_three_queues_are_declared() -> None:
    assert {q.name for q in app.conf.task_queues} == {"notify", "checks", "sync"}


def test_email_tasks_go_to_notify() -> None:
    assert queue_of("notifications.tasks.send_email") == "notify"


def test_order_and_listing_tasks_go_to_sync() -> None:
    assert queue_of("orders.tasks.import_account_orders") == "sync"
    assert queue_of("listings.tasks.push_listings") == "sync"


def test_checks_and_webhooks_go_to_checks() -> None:
    assert queue_of("accounts.tasks.check_account_batch") == "checks"
    assert queue_of("salestio.tasks.process_webhook") == "checks"


def test_each_queue_has_its_own_binding() -> None:
    # A queue bound to another's key would receive that queue's messages too.
    bindings = {q.name: (q.exchange.name, q.routing_key) for q in app.conf.task_queues}
    assert bindings == {q: (q, q) for q in ("notify", "checks", "sync")}
