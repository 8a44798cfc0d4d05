"""The documentation site builds with ``mkdocs build --strict``, and every code block of the
tutorials runs as written.

How a tutorial page is run (one subprocess per page, in a fresh temporary folder, with the
interpreter's ``bin/`` — the project's ``.venv`` — first on ``PATH``):

* a block with ``title="NAME"`` is a file the reader is told to save: it is written to ``NAME``;
* ``python`` blocks run in order in one namespace (the folder is the working directory and on
  ``sys.path``, as for a reader running them there);
* ``bash`` blocks run with ``bash -euo pipefail``;
* other blocks (``toml``, ``json`` … without a title) are not run;
* a block preceded by ``<!-- docs-test: skip-unless "COMMAND" -->`` runs only where ``COMMAND``
  succeeds (for a command that another part of archgym provides); a skipped block is reported
  as a warning naming the command.

The JSON objective examples of the objectives page are parsed and built with
``objective_from_dict`` against the env they name.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
BIN = Path(sys.executable).parent
TUTORIALS = sorted((DOCS / "tutorials").glob("*.md"))
FENCE = re.compile(r"(?:^<!-- docs-test: skip-unless \"(?P<unless>[^\"]+)\" -->\n)?"
                   r"^```(?P<lang>[\w-]*)(?P<attrs>[^\n]*)\n(?P<code>.*?)^```\s*$", re.M | re.S)

RUNNER = r'''
import json, subprocess, sys, traceback
blocks = json.load(open(sys.argv[1]))
ns = {"__name__": "__main__"}
sys.path.insert(0, ".")
for b in blocks:
    where = f"{b['page']} block {b['n']} (line {b['line']})"
    print(f"--- {where}: {b['kind']}", flush=True)
    if b["kind"] == "file":
        open(b["title"], "w").write(b["code"])
    elif b["kind"] == "python":
        try:
            exec(compile(b["code"], where, "exec"), ns)
        except BaseException:
            traceback.print_exc()
            sys.exit(f"FAILED: {where}")
    elif b["kind"] == "bash":
        if subprocess.run(["bash", "-euo", "pipefail", "-c", b["code"]]).returncode != 0:
            sys.exit(f"FAILED: {where}")
    sys.stdout.flush()
'''


def blocks(page: Path) -> list[dict]:
    text = page.read_text()
    out = []
    for n, m in enumerate(FENCE.finditer(text), 1):
        lang, attrs, code = m.group("lang"), m.group("attrs"), m.group("code")
        title = re.search(r'title="([^"]+)"', attrs)
        kind = "file" if title else lang if lang in ("python", "bash") else None
        out.append({"page": page.name, "n": n, "line": text[: m.start()].count("\n") + 1, "kind": kind,
                    "title": title.group(1) if title else None, "code": code, "unless": m.group("unless")})
    return out


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg",
            "NO_MKDOCS_2_WARNING": "1"}


def test_every_tutorial_has_code_to_run():
    assert {p.name for p in TUTORIALS} >= {"add-simulator.md", "add-agent.md", "run-study.md"}
    for page in TUTORIALS:
        kinds = [b["kind"] for b in blocks(page)]
        assert "python" in kinds or "bash" in kinds, f"{page.name} runs no code"


@pytest.mark.parametrize("page", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_code_runs_as_written(page: Path, tmp_path: Path):
    todo, skipped = [], []
    for b in blocks(page):
        if b["kind"] is None:
            continue
        if b["unless"]:
            probe = subprocess.run(b["unless"], shell=True, env=env(), cwd=tmp_path, capture_output=True)
            if probe.returncode != 0:
                skipped.append(f"{page.name} block {b['n']} (line {b['line']}): `{b['unless']}` is not available")
                continue
        todo.append(b)
    (tmp_path / ".blocks.json").write_text(json.dumps(todo))
    (tmp_path / ".runner.py").write_text(RUNNER)
    r = subprocess.run([sys.executable, ".runner.py", ".blocks.json"], cwd=tmp_path, env=env(), capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, f"{r.stdout[-6000:]}\n{r.stderr[-6000:]}"
    for s in skipped:
        warnings.warn(f"docs code block skipped: {s}", stacklevel=1)


def test_objective_examples_build_against_their_env():
    """Every ```json block of the objectives page is an objective's dict form; the line above it
    names the env whose metrics it reads (``archgym/X-v0``)."""
    import archgym
    from archgym.objectives import objective_from_dict

    text = (DOCS / "objectives.md").read_text()
    found = 0
    for m in re.finditer(r"`(archgym/[\w-]+)`[^\n]*\n\n```json\n(.*?)^```", text, re.M | re.S):
        env_id, spec = m.group(1), json.loads(m.group(2))
        objective = objective_from_dict(spec)
        objective.check(archgym.make_env(env_id).unwrapped.simulator.metric_names)
        found += 1
    assert found >= 6, f"only {found} JSON objective examples found"


def test_mkdocs_build_strict(tmp_path: Path):
    missing = [m for m in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python") if not _has(m)]
    if missing:
        pytest.skip(f"the docs extra is not installed (missing {missing}); `pip install -e '.[docs]'`")
    site = tmp_path / "site"
    # no -q: under -q MkDocs logs only errors, and --strict then misses the warnings it should refuse
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"),
                        "-d", str(site)], cwd=REPO, env=env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    envs = (site / "envs" / "index.html").read_text()
    for env_id in ("archgym/DRAM-v0", "archgym/Systolic-v0", "archgym/SoC-v0", "archgym/CoDesign-v0"):
        assert env_id in envs
    assert "RefreshMaxPostponed" in envs and "Version history" in envs  # from the simulator docstrings
    agents = (site / "agents" / "index.html").read_text()
    assert all(f"agent-{a}" in agents for a in archgym_agents())
    schema = (site / "datasets" / "index.html").read_text()
    from archgym.datasets import COLUMNS

    assert all(html.escape(c.name) in schema for c in COLUMNS)
    assert (site / "studies" / "figures" / "dram_lottery.png").is_file()
    assert "NASAIC" in (site / "studies" / "codesign" / "index.html").read_text()
    assert "Wilcoxon" in (site / "studies" / "marl" / "index.html").read_text()
    assert "DesignSpace" in (site / "api" / "spaces" / "index.html").read_text()


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a missing parent package
        return False


def archgym_agents() -> list[str]:
    import archgym

    return list(archgym.AGENTS)
