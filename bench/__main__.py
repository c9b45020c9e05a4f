"""``python -m bench``: run every benchmark in sequence and print its table."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from . import throughput


def main() -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="minis-bench-") as tmp:
        workdir = Path(tmp)
        throughput.run(workdir)
    print(f"\nTotal: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
