"""Every Polaris web component the templates use exists, with attributes it documents
(sandbox/specs/shopify/polaris-web-components-schema.json)."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

COMPONENT = re.compile(r"<(s-[a-z-]+)((?:\s+[^>]*?)?)\s*/?>", re.S)
ATTRIBUTE = re.compile(r"([a-zA-Z][\w:-]*)\s*=")
# HTML's global attributes are valid on every element, custom elements included.
GLOBAL = {"id", "class", "style", "role", "slot", "hidden", "title", "lang", "dir", "tabindex"}


def templates() -> list[Path]:
    root = Path(settings.BASE_DIR)
    return sorted(p for p in root.glob("**/templates/**/*.html") if ".venv" not in p.parts)


def documented(specs_dir: Path) -> dict[str, set[str]]:
    schema = json.loads((specs_dir / "shopify" / "polaris-web-components-schema.json").read_text())
    return {
        d["properties"]["tag"]["const"]: set(d["properties"]["attributes"]["properties"])
        for d in schema["definitions"].values()
    }


def kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def used_components() -> list[tuple[str, str, set[str]]]:
    found = []
    for path in templates():
        for tag, attrs in COMPONENT.findall(path.read_text()):
            # Template tags inside attribute values ({% … %}) are not attributes.
            plain = re.sub(r"\{[%{].*?[%}]\}", "", attrs)
            found.append((path.name, tag, set(ATTRIBUTE.findall(plain))))
    return found


def test_the_templates_use_polaris_components() -> None:
    assert {tag for _, tag, _ in used_components()} >= {"s-page", "s-section", "s-banner"}


def problems_in(name: str, tag: str, attrs: set[str], spec: dict[str, set[str]]) -> list[str]:
    if tag not in spec:
        return [f"{name}: <{tag}> is not a Polaris web component"]
    allowed = {kebab(a) for a in spec[tag]} | GLOBAL
    extra = {a for a in attrs if a not in allowed and not a.startswith(("data-", "aria-"))}
    return [f"{name}: <{tag}> has undocumented {sorted(extra)}"] if extra else []


def test_every_component_and_attribute_is_documented(specs_dir: Path) -> None:
    spec = documented(specs_dir)
    problems = [p for used in used_components() for p in problems_in(*used, spec)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("markup", ['<s-page heading="x">', '<s-bannerr tone="info">'])
def test_an_undocumented_use_is_caught(markup: str, specs_dir: Path) -> None:
    tag, attrs = COMPONENT.findall(markup)[0]
    assert problems_in("t.html", tag, set(ATTRIBUTE.findall(attrs)), documented(specs_dir))
