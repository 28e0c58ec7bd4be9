"""Benchmark results as data: each bench_NAME.py writes bench/results/NAME.json.

    run = record.Run("ledger", parameters={"entries": 100_000})   # at the start: load, time
    ...
    run.write(figures, targets)                                    # at the end

`figures` is whatever the benchmark measured (plain JSON: numbers, strings, nested dicts);
`targets` is a list of `record.target(name, wanted, value, met)`. The file also records the
machine (cpu count, load average at start and end), the date (UTC), the duration and the git
commit, because on a shared machine absolute figures move with the load: read the ratios and
the load beside them (docs/benchmarks.md).
"""

import json
import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("BENCH_RESULTS_DIR", ROOT / "bench" / "results"))


def _load() -> dict | None:
    """The load average over 1, 5 and 15 minutes (runnable processes; compare with cpu_count)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # not available on this platform
        return None
    return {"1min": round(one, 2), "5min": round(five, 2), "15min": round(fifteen, 2)}


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def target(name: str, wanted: str, value, met: bool) -> dict:
    """One target: what it is, the threshold in words ("≥ 20,000 entries/s"), the measured value."""
    return {"name": name, "wanted": wanted, "value": value, "met": bool(met)}


def rounded(value, digits: int = 4):
    """Floats to four significant digits for the file (the noise is far above that)."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item, digits) for item in value]
    return value


class Run:
    def __init__(self, name: str, parameters: dict | None = None):
        self.name = name
        self.parameters = parameters or {}
        self.load_start = _load()
        self.started = datetime.now(UTC)
        self.clock = time.perf_counter()

    def write(self, figures: dict, targets: list[dict]) -> Path:
        status = _git("status", "--porcelain", "--untracked-files=no")
        result = {
            "benchmark": self.name,
            "date": self.started.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "seconds": round(time.perf_counter() - self.clock, 1),
            "commit": _git("rev-parse", "HEAD"),
            "commit_dirty": None if status is None else bool(status),
            "machine": {
                "cpu_count": os.cpu_count(),
                "load_start": self.load_start,
                "load_end": _load(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "parameters": self.parameters,
            "all_targets_met": all(t["met"] for t in targets),
            "targets": rounded(targets),
            "figures": rounded(figures),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(temporary, path)
        print(f"results written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}",
              flush=True)
        return path


def write_result(name: str, figures: dict, targets: list[dict], run: Run | None = None) -> Path:
    """Write bench/results/<name>.json; pass the `Run` begun at the start to record its load."""
    return (run or Run(name)).write(figures, targets)
