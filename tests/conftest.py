"""Shared fixtures.  ``../shared`` (reference data beside the checkout) is optional: tests that
need it skip with a clear reason when it is absent."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
# NumPy picks its SIMD kernels at import by CPU: on AVX-512 machines some ufuncs differ from the
# AVX2 kernels in the last bit, which moves TPE's trajectories (tests/test_agents_replay.py,
# tests/test_trajectories.py were recorded on an AVX2 machine).  The tests pin NumPy's dispatch to
# the AVX2 level (x86-64-v3) so the recordings replay on any x86_64 CPU; users' runs are unaffected.
# Subprocesses started by tests inherit the setting.
if "numpy" not in sys.modules:
    os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", "X86_V4 AVX512_ICL AVX512_SPR")
sys.path.insert(0, str(Path(__file__).parent))  # so tests can `import toy`

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ARCHGYM_SHARED", REPO.parent / "shared"))


class _SkippedValidations:
    """Says at the end of the session which validations did not run for lack of ``../shared``
    reference data, even under ``-q`` (a silent skip looks like a pass).  A plugin object rather
    than a module-level hook, so other ``pytest_terminal_summary`` hooks here do not replace it."""

    @staticmethod
    def skips(terminalreporter) -> dict[str, tuple[int, list[str]]]:
        """Skipped tests whose reason is missing reference data: reason → (count, files)."""
        found: dict[str, tuple[int, list[str]]] = {}
        for rep in terminalreporter.stats.get("skipped", []):
            longrepr = getattr(rep, "longrepr", None)
            reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
            reason = reason.removeprefix("Skipped: ")
            if str(SHARED) in reason or "ARCHGYM_SHARED" in reason:
                n, files = found.get(reason, (0, []))
                name = rep.nodeid.split("::")[0].rsplit("/", 1)[-1]
                found[reason] = (n + 1, files if name in files else [*files, name])
        return found

    def pytest_terminal_summary(self, terminalreporter, exitstatus, config) -> None:
        for reason, (n, files) in self.skips(terminalreporter).items():
            terminalreporter.write_line(f"validations skipped ({n} tests in {', '.join(sorted(files))}): {reason}")


def pytest_configure(config) -> None:
    config.pluginmanager.register(_SkippedValidations(), "archgym-skipped-validations")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"reference data folder {SHARED} is absent (set ARCHGYM_SHARED to point at it)")
    return SHARED


@pytest.fixture(scope="session")
def dramsys_dir(shared_dir: Path) -> Path:
    d = shared_dir / "dramsys"
    if not (d / "calibration.csv").is_file():
        pytest.skip(f"DRAMSys calibration data not found in {d}")
    return d


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """archgym built as a wheel, the way pip builds it (for packaging and layering checks)."""
    import subprocess

    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(REPO)], check=True, capture_output=True)
    (wheel,) = out.glob("archgym-*.whl")
    return wheel


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001  (pytest hook)
    """Cases run per fuzz category (tests/test_fuzz_*.py), for the CI log."""
    fuzzkit = sys.modules.get("fuzzkit")
    lines = fuzzkit.summary() if fuzzkit is not None else []
    if lines:
        terminalreporter.section("fuzz cases")
        for line in lines:
            terminalreporter.write_line(line)
