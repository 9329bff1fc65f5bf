"""Production code never reaches for the demo, the simulators, the tests or Django's test tools:
the image leaves sandbox/ and demo/ out, and a module importing them would fail there."""

import ast
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.settings_surface import ROOT

NOT_PRODUCTION = {"sandbox", "demo", "tests", "bench"}
FORBIDDEN = ("sandbox", "demo", "tests", "django.test")


def production_modules() -> list[Path]:
    packages = [
        path.parent
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_PRODUCTION and not path.parent.name.startswith(".")
    ]
    return [ROOT / "manage.py", *(file for package in packages for file in package.rglob("*.py"))]


def imported_names(path: Path) -> set[str]:
    """Every module an import statement of `path` names, wherever the statement sits."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def forbidden(name: str) -> bool:
    return any(name == root or name.startswith(f"{root}.") for root in FORBIDDEN)


def test_the_walk_covers_every_app_and_no_production_module_imports_test_or_demo_code() -> None:
    modules = production_modules()
    apps = {path.relative_to(ROOT).parts[0] for path in modules}
    assert {"salestio", "accounts", "notifications", "orders", "listings", "billing"} <= apps
    offenders = {
        str(path.relative_to(ROOT)): sorted(filter(forbidden, imported_names(path)))
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}


PROBE = """
import importlib, json, pkgutil, sys
import django
django.setup()
from django.conf import settings
import salestio.urls
for app in sys.argv[1:]:
    package = importlib.import_module(app)
    for module in pkgutil.walk_packages(package.__path__, app + "."):
        importlib.import_module(module.name)
loaded = [name for name in sys.modules if name.split(".")[0] in ("sandbox", "demo", "tests")
          or name == "django.test" or name.startswith("django.test.")]
print(json.dumps({"apps": settings.INSTALLED_APPS, "loaded": loaded}))
"""


def load_everything(demo_mode: str) -> dict[str, list[str]]:
    """Set up Django in a fresh interpreter and import every production module."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DEMO", "PYTEST"))
    }
    env.update(DJANGO_SETTINGS_MODULE="salestio.settings", DEBUG="1", DEMO_MODE=demo_mode)
    apps = ["salestio", "accounts", "notifications", "orders", "listings", "billing"]
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *apps],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_loading_every_production_module_loads_no_test_or_demo_code() -> None:
    loaded = load_everything("0")
    assert "demo" not in loaded["apps"]
    assert loaded["loaded"] == []


def test_the_demo_app_is_installed_under_demo_mode_only() -> None:
    assert "demo" in load_everything("1")["apps"]


def test_the_image_leaves_the_simulators_and_the_demo_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"sandbox", "demo", "tests"} <= set(ignored)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"]).lower()
    assert "graphql-core" not in runtime and "werkzeug" not in runtime
    assert any("graphql-core" in dep for dep in project["optional-dependencies"]["sandbox"])
