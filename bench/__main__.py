"""``python -m bench``: run every benchmark in sequence and print its table."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from . import contention, embed, profile, queries, scaling, throughput, weights


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {load_average()}"
    )


def main() -> None:
    started = time.perf_counter()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # tables as they come
    print("Minis benchmarks: figures are ratios measured in this run (see bench/README.md).")
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="minis-bench-") as tmp:
        workdir = Path(tmp)
        throughput.run(workdir)
        contention.run(workdir)
        queries.run(workdir)
        weights.run(workdir)
        embed.run(workdir)
        profile.run_all(workdir)
        scaling.run(workdir)
    elapsed = time.perf_counter() - started
    print(f"\nTotal: {elapsed:.0f} s; load average now {load_average()}")


if __name__ == "__main__":
    main()
