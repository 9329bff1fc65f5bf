"""Django's PostgreSQL backend (psycopg2), but for the health check of a persistent connection.

CONN_HEALTH_CHECKS (settings.py) makes Django ask each request's or task's first query
whether the connection still works, with a `SELECT 1` round trip of its own: a third of the
dashboard's round trips (bench_dashboard). A connection the server has dropped (a restart, a
failover's fast shutdown, pg_terminate_backend) has something to read: the server's FATAL
error, then the end of the stream. So while the socket is quiet the connection is taken as
usable, as the `SELECT 1` would find it; when it is not quiet, Django's own check decides.
https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-database-connections
https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-ASYNC (messages the server
sends unasked: a FATAL error as it terminates the session).
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        # An idle connection between statements: nothing of a reply is left unread. poll(),
        # not select(), which refuses a descriptor above FD_SETSIZE (1024) in a busy process.
        quiet = select.poll()
        quiet.register(self.connection.fileno(), select.POLLIN)
        return not quiet.poll(0) or bool(super().is_usable())
