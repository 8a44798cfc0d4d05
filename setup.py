"""The package list, computed from the folders so that adding a simulator or an agent needs no edit.

Everything else is in ``pyproject.toml``.  ``simulators/``, ``agents/`` and ``data/`` install inside
the ``archgym`` namespace (``archgym.simulators`` …, see ARCHITECTURE.md); setuptools' ``find``
cannot remap folders, so this file walks them: every folder with an ``__init__.py`` is a package,
and every folder under ``data/`` carries package data.
"""

from pathlib import Path

from setuptools import setup

ROOTS = {"archgym": "archgym", "archgym.simulators": "simulators", "archgym.agents": "agents",
         "archgym.data": "data"}


def packages() -> list[str]:
    here = Path(__file__).parent
    found = []
    for package, folder in ROOTS.items():
        root = here / folder
        for d in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
            if "__pycache__" in d.parts or any(part.startswith(".") for part in d.relative_to(here).parts):
                continue
            if package == "archgym.data" or (d / "__init__.py").is_file():
                found.append(".".join([package, *d.relative_to(root).parts]))
    return found


setup(packages=packages(), package_dir=ROOTS)
