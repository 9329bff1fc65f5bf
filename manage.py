#!/usr/bin/env python
import os
import sys

# Schema tooling reads the models only: it runs without the production secrets.
SECRETLESS_COMMANDS = {"makemigrations", "showmigrations"}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salestio.settings")
    if len(sys.argv) > 1 and sys.argv[1] in SECRETLESS_COMMANDS:
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
