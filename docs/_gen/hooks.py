"""MkDocs hooks (``mkdocs.yml`` → ``hooks:``): the pages that describe code are generated from it
at build time, so they cannot drift from it and no generated copy is committed.

A hand-written page asks for generated content with a marker comment on a line of its own:

* ``<!-- generated: envs -->``: the env catalogue, from every registered env's simulator
  docstring, design space, metrics and default objective.
* ``<!-- generated: agents -->``: every registered agent, from its docstring and hyperparameters.
* ``<!-- generated: schema -->``: the dataset columns, from :data:`archgym.datasets.COLUMNS`.
* ``<!-- generated: objectives -->``: the objective kinds and the fields of their dict form.
* ``<!-- generated: include PATH -->``: a Markdown file of the repository (the studies'
  READMEs and results), its links rewritten to pages of this site or, for files the site does
  not carry, to plain code.

The study figures (``experiments/*/figures/*.png``) are added to the site under ``studies/figures/``.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^<!-- generated: (\w+)(?: (\S+))? -->$", re.M)

#: repository files included into pages → the page that includes them (links between them resolve)
INCLUDED = {
    "experiments/lottery/README.md": "studies/lottery.md",
    "experiments/lottery/results_dram.md": "studies/results-dram.md",
    "experiments/lottery/results_systolic.md": "studies/results-systolic.md",
    "experiments/lottery/results_soc.md": "studies/results-soc.md",
    "experiments/LEADERBOARD.md": "studies/leaderboard.md",
    "experiments/systolic/README.md": "studies/systolic-validation.md",
    "experiments/soc/README.md": "studies/soc-validation.md",
    "experiments/proxy/RESULTS.md": "studies/proxy-results.md",
    "experiments/codesign/README.md": "studies/codesign.md",
    "experiments/marl/README.md": "studies/marl.md",
}
FIGURES = ("experiments/lottery/figures", "experiments/proxy/figures", "experiments/codesign/figures",
           "experiments/marl/figures")


# ---- MkDocs events ----------------------------------------------------------------------------
def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for folder in FIGURES:
        for png in sorted((REPO / folder).glob("*.png")):
            files.append(File.generated(config, f"studies/figures/{png.name}", abs_src_path=str(png)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    def replace(m: re.Match[str]) -> str:
        kind, arg = m.group(1), m.group(2)
        if kind == "include":
            return include(arg, page.file.src_uri)
        try:
            return GENERATORS[kind]()
        except KeyError:
            raise ValueError(f"{page.file.src_uri}: unknown generated section {kind!r}; "
                             f"known: {', '.join(GENERATORS)}, include") from None

    return MARKER.sub(replace, markdown)


_HTML_TILDE = re.compile(r":(?:func|class|meth|mod|data|attr|exc|obj):<code>~([\w.]+)</code>")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """The API reference renders docstrings written for Sphinx: drop the roles (``:class:``) it
    shows literally, and shorten ``~pkg.mod.Name`` to ``Name`` as Sphinx would."""
    html = _HTML_TILDE.sub(lambda m: f"<code>{m.group(1).rsplit('.', 1)[-1]}</code>", html)
    return re.sub(r":(?:func|class|meth|mod|data|attr|exc|obj):(<code>)", r"\1", html)


# ---- text helpers ---------------------------------------------------------------------------------
_ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|exc):`~?([\w.]+)`")


def rst_to_md(text: str) -> str:
    """Docstring text as Markdown: Sphinx roles become code (``:class:`~a.B``` → `B`)."""
    return _ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1]}`", text)


def cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def docstring_sections(doc: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a docstring into its summary and ``Title:`` sections with indented bodies."""
    lines = doc.splitlines()
    summary: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in lines:
        head = re.fullmatch(r"([A-Z][\w ]*):", line)
        if head:
            sections.append((head.group(1), []))
        elif sections:
            sections[-1][1].append(line)
        else:
            summary.append(line)
    return "\n".join(summary).strip(), [(t, inspect.cleandoc("\n".join(b))) for t, b in sections]


def table(head: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---- generators ---------------------------------------------------------------------------------
def envs() -> str:
    import archgym
    from archgym.registry import default_objective, simulator_class

    parts = [table(["id", "hardware", "knobs", "designs", "metrics"],
                   [[f"[`{e.id}`](#{_anchor(e.id)})", e.summary, len(s.space), f"{s.space.size:,}", len(s.metrics)]
                    for e, s in ((e, archgym.make_simulator(e.name)) for e in archgym.ENVS.values())])]
    for e in archgym.ENVS.values():
        cls = simulator_class(e.name)
        sim = archgym.make_simulator(e.name)
        summary, sections = docstring_sections(inspect.getdoc(cls) or "")
        parts.append(f"## `{e.id}` {{#{_anchor(e.id)}}}\n\n{rst_to_md(summary)}\n\n"
                     f"`gymnasium.make(\"{e.id}\", **kwargs)`; simulator class "
                     f"`{cls.__module__}.{cls.__qualname__}` (version `{sim.version}`).")
        for title, body in sections:
            if title == "Version history":  # one entry per line
                body = re.sub(r"\n(?=v\d)", "\n\n", re.sub(r"^(?=v\d)", "* ", body, flags=re.M))
                body = "\n".join(ln if ln.startswith("* ") or not ln.strip() else "  " + ln for ln in body.splitlines())
            parts.append(f"### {title}\n\n{rst_to_md(body)}")
        rows = [[f"`{p.name}`", type(p).__name__, p.n, p.allowed(), p.doc] for p in sim.space.params]
        parts.append(f"### Knobs ({sim.space.size:,} designs)\n\n" + table(["knob", "kind", "values", "allowed", "meaning"],
                                                                             rows))
        rows = [[f"`{m.name}`", m.unit, m.goal, f"{m.scale:g}", m.doc] for m in sim.metrics]
        parts.append("### Metric definitions\n\n" + table(["metric", "unit", "goal", "scale", "meaning"], rows))
        obj = json.dumps(dict(default_objective(e, sim)))
        parts.append(f"### Default objective\n\n```json\n{obj}\n```")
        if e.backends:
            parts.append("### Backends\n\n" + "\n".join(f"* `backend=\"{k}:…\"` → `{v}`" for k, v in e.backends.items()))
    return "\n\n".join(parts)


def _anchor(env_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", env_id.lower()).strip("-")


def agents() -> str:
    import archgym
    from archgym.registry import agent_class

    parts = [table(["agent", "class", "what", "hyperparameters (defaults)"],
                   [[f"[`{n}`](#agent-{n})", agent_class(n).__name__,
                     rst_to_md(docstring_sections(inspect.getdoc(agent_class(n)) or "")[0].split("\n\n")[0]),
                     ", ".join(f"`{k}={v!r}`" for k, v in agent_class(n).hyperparameters().items()) or "—"]
                    for n in archgym.AGENTS])]
    for name in archgym.AGENTS:
        cls = agent_class(name)
        summary, sections = docstring_sections(inspect.getdoc(cls) or "")
        args = dict(_args(dict(sections).get("Args", "")))
        constraints = getattr(cls, "parameter_constraints", {})
        rows = [[f"`{k}`", f"`{v!r}`", " or ".join(_constraint(c) for c in constraints.get(k, [])) or "any",
                 rst_to_md(args.get(k, ""))] for k, v in cls.hyperparameters().items()]
        kind = "drives the env itself (`optimize(env, budget)`)" if getattr(cls, "drives_env", False) \
            else "ask/tell"
        text = [f"## `{name}` {{#agent-{name}}}", rst_to_md(summary),
                f"Class `{cls.__module__}.{cls.__qualname__}`; {kind}; "
                f"`archgym.make_agent(\"{name}\", seed=0, …)` or `archgym run --agent {name} --set key=value`."]
        if rows:
            text.append(table(["hyperparameter", "default", "allowed", "meaning"], rows))
        for title, body in sections:
            if title != "Args":
                text.append(f"**{title}.** {rst_to_md(body)}")
        parts.append("\n\n".join(text))
    return "\n\n".join(parts)


def _args(body: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for line in body.splitlines():
        m = re.match(r"^(\w+): (.*)$", line)
        if m:
            out.append((m.group(1), m.group(2)))
        elif out and line.strip():
            out[-1] = (out[-1][0], out[-1][1] + " " + line.strip())
    return out


def _constraint(c: Any) -> str:
    from archgym.constraints import _as_constraint

    return _as_constraint(c).describe()


def schema() -> str:
    from archgym.datasets import COLUMNS

    return table(["column", "type", "meaning"], [[f"`{c.name}`", c.dtype, c.meaning] for c in COLUMNS])


def objectives() -> str:
    from archgym.objectives import OBJECTIVES

    rows = []
    for kind in sorted(OBJECTIVES):
        factory = OBJECTIVES.load(kind)
        params = inspect.signature(factory).parameters
        fields = ", ".join(f"`{n}`" if p.default is inspect.Parameter.empty else f"`{n}={p.default!r}`"
                           for n, p in params.items() if n != "self")
        summary = (inspect.getdoc(factory) or "").split("\n\n")[0]
        rows.append([f"`{kind}`", fields, rst_to_md(summary)])
    return table(["kind", "fields (defaults)", "what"], rows)


def include(path: str, page_uri: str) -> str:
    src = REPO / path
    text = src.read_text()
    here = PurePosixPath(page_uri).parent

    def link(m: re.Match[str]) -> str:
        label, target = m.group(1), m.group(2)
        if re.match(r"^[a-z]+://|^#|^mailto:", target):
            return m.group(0)
        target_path, _, frag = target.partition("#")
        repo_rel = (PurePosixPath(path).parent / target_path).as_posix()
        repo_rel = str(PurePosixPath(*_normalise(PurePosixPath(repo_rel).parts)))
        if repo_rel in INCLUDED:
            rel = _relative(INCLUDED[repo_rel], here)
            return f"[{label}]({rel}{'#' + frag if frag else ''})"
        return label if label.startswith("`") else f"{label} (`{repo_rel}`)"

    return re.sub(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)", link, text)


def _normalise(parts: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for p in parts:
        if p == "..":
            if out:
                out.pop()
        elif p != ".":
            out.append(p)
    return out


def _relative(target: str, here: PurePosixPath) -> str:
    t = PurePosixPath(target)
    common = 0
    for a, b in zip(t.parent.parts, here.parts, strict=False):
        if a != b:
            break
        common += 1
    ups = [".."] * (len(here.parts) - common)
    return "/".join([*ups, *t.parts[common:]]) or t.name


GENERATORS = {"envs": envs, "agents": agents, "schema": schema, "objectives": objectives}
