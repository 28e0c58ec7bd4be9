"""`make bench`: run every benchmark module in this folder (bench_*.py, each with main()).

`python -m bench NAME` runs only bench_NAME.py. Benchmarks print ratios measured in the same
run, because these machines are noisy; they are never part of `make test`. Each one also writes
its figures, targets, the machine's load, the date and the commit to bench/results/NAME.json
(bench/record.py; docs/benchmarks.md says how to read them).
"""

import importlib
import pkgutil
import sys
import time

import bench


def main(argv: list[str]) -> int:
    wanted = set(argv)
    names = sorted(
        info.name for info in pkgutil.iter_modules(bench.__path__) if info.name.startswith("bench_")
    )
    failed = []
    for name in names:
        if wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{name}")
        if module.main() is False:
            failed.append(name)
        print(f"({name} took {time.perf_counter() - started:.0f} s)", flush=True)
    if failed:
        print("targets missed:", ", ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
