"""Run a benchmark worker against an earlier commit and the working tree, side by side.

How "before" is run: ``git archive <commit>`` exports the archgym, simulators, agents and data
folders into a temporary folder, and a folder of symlinks lays them out as the installed package
(``archgym/``, with ``simulators``, ``agents`` and ``data`` inside, as the package-dir mapping does).
Each implementation then runs in its own subprocess of this same interpreter with ``PYTHONPATH``
pointing at its layout (the "after" layout links to the working tree), so the two never share
modules, caches or JIT state, use the same installed dependencies, and run on the same machine at
the same time.  ``git archive`` leaves the repository (its worktrees and index) untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("archgym", "simulators", "agents", "data")  # the installed archgym.<x> lives in <x>/


def _layout(src: Path, dest: Path) -> Path:
    """``dest/archgym`` laid out as the installed package, from the source folders in ``src``."""
    pkg = dest / "archgym"
    pkg.mkdir(parents=True)
    for entry in (src / "archgym").iterdir():
        if entry.name != "__pycache__":
            (pkg / entry.name).symlink_to(entry.resolve())
    for sub in FOLDERS[1:]:
        (pkg / sub).symlink_to((src / sub).resolve())
    return dest


def _export(commit: str, dest: Path) -> Path:
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, *FOLDERS], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


@contextmanager
def layouts(base: str) -> Iterator[dict[str, Path]]:
    """``{"before": <base commit>, "after": <working tree>}`` package layouts, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="archgym-bench-") as tmp:
        yield {"before": _layout(_export(base, Path(tmp) / "src"), Path(tmp) / "before"),
               "after": _layout(REPO, Path(tmp) / "after")}


def run_worker(script: str | Path, layout: Path, task: dict) -> dict:
    """Run ``script --worker TASK LAYOUT`` with ``layout`` first on the path; its last stdout line
    is the JSON result.  The worker should check ``archgym.__file__`` lies under LAYOUT."""
    env = {**os.environ, "PYTHONPATH": str(layout)}
    proc = subprocess.run([sys.executable, str(script), "--worker", json.dumps(task), str(layout)], env=env,
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"worker {task} in {layout} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_layout(layout: str) -> None:
    """In a worker: fail unless archgym was imported from ``layout`` (not the installed copy)."""
    import archgym

    if Path(archgym.__file__).parent != Path(layout) / "archgym":
        sys.exit(f"archgym was imported from {archgym.__file__}, not from {layout}")


def ratio(a: float, b: float) -> str:
    return f"{a / b:,.1f}×" if b > 0 else "—"
