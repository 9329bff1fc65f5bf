"""`manage.py seed_demo`: the demo shop, then every app's seeder (demo.seeding.SEEDERS). Safe
to run again."""

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from demo.seeding import seed_all


def sandbox_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('DEMO_SANDBOX_PORT', '8001')}"


class Command(BaseCommand):
    help = "Create (or refresh) the demo shop and every app's demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sandbox-url",
            default=sandbox_url(),
            help="where `python -m sandbox` answers (default: %(default)s)",
        )

    def handle(self, *args: object, **options: Any) -> None:
        seed_all(sandbox_url=options["sandbox_url"], report=self.stdout.write)
