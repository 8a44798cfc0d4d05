"""Run every benchmark in this folder in turn (``make bench``); each prints its own tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

if __name__ == "__main__":
    scripts = sorted(HERE.glob("bench_*.py"))
    if "--dry-run" in sys.argv[1:]:  # list and byte-compile the benchmarks, run none (the Makefile's smoke test)
        for script in scripts:
            compile(script.read_text(), str(script), "exec")  # a syntax error fails the dry run
            print(f"would run {script.name}")
        sys.exit(0)
    if sys.argv[1:]:
        sys.exit(f"unknown arguments {sys.argv[1:]}; run_all.py takes only --dry-run")
    failed = []
    for script in scripts:
        print(f"\n## {script.name}\n", flush=True)
        if subprocess.call([sys.executable, str(script)]) != 0:
            failed.append(script.name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
