"""`python -m bench [name ...]`: run every bench/bench_*.py module's main(), or the named ones
("notify" or "bench_notify"). Each module sets up Django and its own throwaway database."""

import importlib
import sys
import time
from pathlib import Path


def discover(wanted: list[str]) -> list[str]:
    found = sorted(path.stem for path in Path(__file__).parent.glob("bench_*.py"))
    if not wanted:
        return found
    names = [name if name.startswith("bench_") else f"bench_{name}" for name in wanted]
    unknown = sorted(set(names) - set(found))
    if unknown:
        sys.exit(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(found)})")
    return names


def main(argv: list[str]) -> None:
    for name in discover(argv):
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"[{name} done in {time.perf_counter() - started:.1f} s]\n", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
