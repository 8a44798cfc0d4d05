"""Importing archgym where it is not installed says how to fix it (``make install`` / ``.venv``),
instead of Python's ``No module named 'archgym.simulators'`` or a missing numpy/gymnasium."""

from __future__ import annotations

import site
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROBE = ("try:\n    import archgym\nexcept ImportError as e:\n"
         "    print(type(e).__name__, isinstance(e, ImportError), e)\nelse:\n    print('imported')\n")


def _run(env_extra: dict[str, str]) -> str:
    # -S: no site-packages, hence no editable-install finder; the checkout is on sys.path as cwd
    r = subprocess.run([sys.executable, "-S", "-c", PROBE], cwd=REPO, capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", **env_extra}, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_checkout_without_install_names_make_install():
    """Dependencies importable (site-packages on PYTHONPATH) but archgym not installed."""
    out = _run({"PYTHONPATH": site.getsitepackages()[0]})
    assert out.startswith("NotInstalledError True "), out
    assert "'archgym.simulators'" in out and "make install" in out and ".venv/bin/activate" in out


def test_python_without_dependencies_names_make_install():
    """A bare interpreter: neither archgym's mapping nor numpy/gymnasium."""
    out = _run({})
    assert out.startswith("NotInstalledError True "), out
    assert "make install" in out


def test_installed_import_still_works_from_the_checkout():
    r = subprocess.run([sys.executable, "-c", "import archgym; print(archgym.make_env.__name__)"], cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "make_env", r.stderr
