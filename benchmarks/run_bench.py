"""Benchmark: the whole pipeline on the synthetic study at several scales.

Run with `make bench`. Writes benchmarks/results.json (not committed) and prints a table.
Targets (checked here, never in a unit test): at scale 1 the full pipeline including the
PDF finishes in under 30 s on the 2-core reference machine; ingest to analyze at scale 10
in under 60 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {1: 30.0, 10: 60.0}
STAGES_UP_TO_ANALYZE = ["ingest", "validate", "clean", "derive", "analyze"]


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
            config = str(study / "study.toml")
            out = str(Path(tmp) / "out")
            if scale == 1:
                total = _run(["run", "--config", config, "--out", out])
                measured = "run (all stages)"
            else:
                total = sum(
                    _run([stage, "--config", config, "--out", out])
                    for stage in STAGES_UP_TO_ANALYZE
                )
                measured = "ingest..analyze"
        ok = total <= target
        failed |= not ok
        rows.append({"scale": scale, "measured": measured, "seconds": round(total, 2),
                     "target_seconds": target, "simulate_seconds": round(simulate, 2),
                     "ok": ok})
        print(f"scale {scale:>3}: {measured:<17} {total:7.2f} s (target {target:.0f} s) "
              f"{'ok' if ok else 'TOO SLOW'}; simulate {simulate:.2f} s")
    Path(__file__).with_name("results.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
