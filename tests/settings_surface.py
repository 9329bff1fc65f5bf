"""What salestio/settings.py reads from the environment, found by running it rather than by
reading it, so that names built at run time (AMAZON_SP_API_ENDPOINT_{region}) count too.

The probe imports the settings in a fresh interpreter with an empty environment (production:
DEBUG off). Each ImproperlyConfigured names a secret production cannot start without; the probe
sets it and imports again, until the settings load.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import importlib, json, os, re, sys
import celery.schedules, dj_database_url, salestio.env  # their own reads are not settings
from django.core.exceptions import ImproperlyConfigured

class Recording(dict):
    read = []
    def get(self, key, default=None):
        self.read.append(key)
        return super().get(key, default)
    def __getitem__(self, key):
        self.read.append(key)
        return super().__getitem__(key)

os.environ = environ = Recording(os.environ)
required = []
while True:
    try:
        importlib.import_module("salestio.settings")
        break
    except ImproperlyConfigured as exc:
        name = re.match(r"(\\w+) must be set", str(exc))[1]
        required.append(name)
        environ[name] = "set-by-probe"
        sys.modules.pop("salestio.settings", None)
print(json.dumps({"read": list(dict.fromkeys(environ.read)), "required": required}))
"""


@dataclass(frozen=True)
class Surface:
    read: tuple[str, ...]  # every variable the settings read, in the order they read them
    required: tuple[str, ...]  # the ones production refuses to start without


@cache
def environment_surface() -> Surface:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found = json.loads(result.stdout.splitlines()[-1])
    return Surface(read=tuple(found["read"]), required=tuple(found["required"]))
