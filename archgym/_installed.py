"""Fail an import of archgym that cannot work with a message that says how to fix it.

``python -c "import archgym"`` in the checkout, with a Python where archgym is not installed, finds
the ``archgym/`` folder but not ``archgym.simulators`` (the install maps ``simulators/``,
``agents/`` and ``data/`` into the namespace) nor, often, numpy or gymnasium.  Python's own
``No module named 'archgym.simulators'`` gives no clue; :class:`~archgym.errors.NotInstalledError`
(an ``ImportError``) says to run ``make install`` and use ``.venv``.  Imported first by
``archgym/__init__.py``; it costs one ``find_spec`` and imports nothing archgym would not.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from archgym.errors import NotInstalledError

#: what every ``import archgym`` needs besides archgym itself
REQUIRED = ("archgym.simulators", "numpy", "gymnasium")


def not_installed(missing: str) -> NotInstalledError:
    """The error for an import of archgym that lacks ``missing``: it is not installed in this Python."""
    repo = Path(__file__).resolve().parent.parent
    venv = repo / ".venv" / "bin"
    return NotInstalledError(
        f"archgym is not installed for this Python ({sys.executable}): cannot import {missing!r}.  "
        f"From the checkout, run `make install` (it creates {venv.parent}/ with archgym and its pinned "
        f"dependencies), then use {venv}/python, or `source {venv}/activate` to get `python` and the "
        f"`archgym` command; or install it into your own environment with `pip install -e {repo}`.")


def check() -> None:
    """Raise :class:`NotInstalledError` when a module every import of archgym needs is missing."""
    for name in REQUIRED:
        if importlib.util.find_spec(name) is None:
            raise not_installed(name)


check()
