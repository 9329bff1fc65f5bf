"""`make test`'s environment: real PostgreSQL and Redis where they answer, else SQLite and a
clear skip. With REQUIRE_SERVICES=1 (CI) a missing service is an error, not a skip.

Usage: python -m salestio.test_env COMMAND [ARGS...]
"""

import os
import socket
import sys

POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


def answers(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


def main(argv: list[str]) -> None:
    env = os.environ
    required = env.get("REQUIRE_SERVICES") == "1"
    if "DATABASE_URL" not in env and answers(POSTGRES):
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/postgres"
    if "TEST_REDIS_URL" not in env and answers(REDIS):
        env["TEST_REDIS_URL"] = "redis://127.0.0.1:6379/15"
    missing = [
        name
        for name, key in (("PostgreSQL", "DATABASE_URL"), ("Redis", "TEST_REDIS_URL"))
        if key not in env
    ]
    if missing and required:
        sys.exit(f"REQUIRE_SERVICES=1 but not reachable: {', '.join(missing)}")
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
