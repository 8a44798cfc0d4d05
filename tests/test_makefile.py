"""Every Makefile target has a smoke test: the cheap ones run for real with tiny arguments (passed
through the Makefile's variables), the rest are checked with ``make -n``.  A new target without an
entry in ``SMOKE`` fails :func:`test_every_target_has_a_smoke_test`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STAMP = ".venv/.install-stamp"

pytestmark = [
    pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
    pytest.mark.skipif(not (REPO / STAMP).is_file(), reason="no .venv made by `make install` in the checkout"),
]


def make(*args: str, timeout: float = 300, keep_install: bool = True) -> str:
    """Run make in the checkout; ``-o STAMP`` keeps it from reinstalling when pyproject.toml is newer."""
    r = subprocess.run(["make", "--no-print-directory", *(["-o", STAMP] if keep_install else []), *args], cwd=REPO,
                       capture_output=True,
                       text=True, timeout=timeout)
    assert r.returncode == 0, f"make {' '.join(args)}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def test_demo_runs_with_a_tiny_budget(tmp_path):
    out = make("demo", f"DEMO_ARGS=--budget 12 --out {tmp_path}")
    files = list(tmp_path.glob("*.parquet"))
    assert len(files) == 1 and list(tmp_path.glob("*.png")), out
    import archgym

    assert len(archgym.datasets.load(files[0])) == 12


def test_test_target_runs_pytest_on_what_it_is_given():
    out = make("test", "TESTS=tests/test_install_message.py::test_installed_import_still_works_from_the_checkout")
    assert "1 passed" in out or re.search(r"^\.\s", out, re.M), out
    assert "-m pytest tests" in make("-n", "test")  # the default is the whole suite


def test_studies_parse_their_arguments_and_plan():
    """`make studies` failed at once (argparse choices + list default); the dry run lists every study."""
    out = make("studies", "STUDIES_ARGS=--dry-run")
    for study in ("dram", "systolic", "soc"):
        assert f"{study}.yaml:" in out and f"{study}_seeds.yaml:" in out, out
    assert make("-n", "studies").strip().endswith("reproduce.py")  # no arguments by default, as in the README
    out = make("studies", "STUDIES_ARGS=--dry-run soc")
    assert "soc.yaml:" in out and "dram.yaml" not in out


def test_bench_lists_every_benchmark():
    out = make("bench", "BENCH_ARGS=--dry-run")
    names = sorted(p.name for p in (REPO / "experiments" / "bench").glob("bench_*.py"))
    assert names and all(f"would run {n}" in out for n in names), out


def test_install_installs_the_extras():
    out = make("-n", "-W", "pyproject.toml", "install", keep_install=False)  # as if pyproject.toml changed
    assert 'pip install --quiet -e ".[dev,ray,docs]"' in out and "install-stamp" in out


def test_docs_builds_strict():
    # the build itself is tests/test_docs.py's (mkdocs build --strict into a temporary folder)
    assert "mkdocs build --strict" in make("-n", "docs")


def test_clean_removes_only_generated_folders():
    assert make("-n", "clean").strip() == "rm -rf .venv runs build site *.egg-info"


SMOKE = {"demo": test_demo_runs_with_a_tiny_budget, "test": test_test_target_runs_pytest_on_what_it_is_given,
         "studies": test_studies_parse_their_arguments_and_plan, "bench": test_bench_lists_every_benchmark,
         "install": test_install_installs_the_extras, "docs": test_docs_builds_strict,
         "clean": test_clean_removes_only_generated_folders}


def test_every_target_has_a_smoke_test():
    text = (REPO / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY:(.*)$", text, re.M).group(1).split())
    targets = set(re.findall(r"^([a-z][a-z-]*):", text, re.M))
    assert phony == targets == set(SMOKE), (phony, targets)
