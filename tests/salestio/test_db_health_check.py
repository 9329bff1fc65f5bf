"""The health check of a persistent PostgreSQL connection (salestio.postgresql): a quiet
connection is usable without a round trip of its own; one the server has terminated is not,
so Django replaces it before the request or task uses it."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def own_connection(db: None) -> Iterator[Any]:
    """A second connection to the test database, as another request's would be."""
    other = connections.create_connection("default")
    other.ensure_connection()
    yield other
    other.close()


def _last_statement_of(backend_pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [backend_pid])
        return str(cursor.fetchone()[0])


def test_a_quiet_connection_is_usable_and_the_check_sends_nothing(own_connection: Any) -> None:
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement'")
    pid = own_connection.connection.info.backend_pid

    assert own_connection.is_usable()
    assert _last_statement_of(pid) == "SELECT 'the last statement'"  # no SELECT 1 went out


def _terminate(backend_pid: int) -> None:
    """pg_terminate_backend(), then wait for the backend to be gone: its FATAL error and the
    end of the stream are on the client's socket by then."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    deadline = time.monotonic() + 5
    while _backend_alive(backend_pid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _backend_alive(backend_pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [backend_pid])
        return cursor.fetchone() is not None


def test_a_connection_the_server_terminated_is_not_usable(own_connection: Any) -> None:
    _terminate(own_connection.connection.info.backend_pid)

    assert not own_connection.is_usable()


def test_a_request_after_the_server_dropped_the_connection_gets_a_new_one(
    own_connection: Any,
) -> None:
    pid = own_connection.connection.info.backend_pid
    own_connection.health_check_done = False  # as close_old_connections() leaves it
    _terminate(pid)

    with own_connection.cursor() as cursor:  # health-checked first: replaced, not failed
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
