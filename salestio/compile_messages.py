"""Compile every locale/*.po to .mo with polib, so no GNU gettext is needed on the machine."""

import os
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    for po_path in ROOT.glob("*/locale/*/LC_MESSAGES/*.po"):
        _compile(po_path)
    for po_path in ROOT.glob("locale/*/LC_MESSAGES/*.po"):
        _compile(po_path)


def _compile(po_path: Path) -> None:
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
        # Written aside and renamed, so a process reading the catalogue never sees half a file.
        partial = mo_path.with_suffix(f".mo.{os.getpid()}")
        polib.pofile(str(po_path)).save_as_mofile(str(partial))
        os.replace(partial, mo_path)


if __name__ == "__main__":
    main()
