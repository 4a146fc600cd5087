"""Benchmark: the whole pipeline (all stages, PDF included) on the synthetic study at
several scales. Run with `make bench`; writes benchmarks/results.json (not committed).

Targets (checked here, never in a unit test), on the 2-core reference machine:
scale 1 (about 1,100 respondents) in under 15 s, scale 10 in under 30 s, scale 100 (about
107,000 respondents) in under 75 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {1: 15.0, 10: 30.0, 100: 75.0}


def _run(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pipeline", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    rows = []
    failed = False
    for scale, target in TARGETS.items():
        with tempfile.TemporaryDirectory() as tmp:
            study = Path(tmp) / "study"
            simulate = _run(["simulate", "--out", str(study), "--scale", str(scale)])
            total = _run(["run", "--config", str(study / "study.toml"),
                          "--out", str(Path(tmp) / "out")])
        ok = total <= target
        failed |= not ok
        rows.append({"scale": scale, "seconds": round(total, 2), "target_seconds": target,
                     "simulate_seconds": round(simulate, 2), "ok": ok})
        print(f"scale {scale:>3}: run (all stages) {total:7.2f} s (target {target:.0f} s) "
              f"{'ok' if ok else 'TOO SLOW'}; simulate {simulate:.2f} s")
    Path(__file__).with_name("results.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
