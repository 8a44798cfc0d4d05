"""Sweep specs: a YAML file that expands to runs (env × objective × agent × hyperparameters × seeds).

A spec is checked before anything runs, because a typo found after an hour of runs costs the
hour: every error is a :class:`SweepSpecError` that names the file and the key (``agents[2].grid.ants``)
and says what is allowed.  Expansion is deterministic, and every run gets the id
:func:`archgym.runner.run` will write it under — a hash of the resolved configuration plus the
seed — so rerunning a spec finds its finished runs by name.

Spec format::

    name: dram-lottery
    budget: 200                      # simulator evaluations per run, the same for every agent
    seeds: 3                         # 0..2, or an explicit list [0, 7, 9]
    out: runs/dram-lottery           # default output directory (the CLI's --out overrides it)
    envs:
      - id: archgym/DRAM-v0
        label: cloud-1               # optional name used in tables and figures
        kwargs: {trace: cloud-1}     # gymnasium.make keyword arguments
        objectives:                  # optional: one scenario per entry (default: the env's own)
          low_power: {kind: target, targets: {power_mW: 1015.3}}
    agents:
      - name: aco
        grid: {ants: [2, 8], evaporation: [0.1, 0.5]}   # cartesian product
        hparams: {depth: 4}          # fixed hyperparameters
      - name: ga
        configs:                     # an explicit list of configs (crossed with grid:, if any)
          - {population: 8, mutation: 0.1}
          - {population: 32, mutation: 0.01}
      - name: gp
        seeds: [0]                   # optional per-agent seed override (an expensive agent)
      - random                       # a bare name: default hyperparameters
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archgym._text import YamlError, load_yaml
from archgym.errors import SweepSpecError
from archgym.runner import MAX_BUDGET

#: Limits of one spec: runs after expansion, file size, YAML aliases.
MAX_RUNS = 10_000
MAX_SPEC_BYTES = 2**20
MAX_VALUES = 100_000  # scalars, lists and mappings in the spec, aliases expanded ("billion laughs")
_TOP_KEYS = ("name", "budget", "seeds", "out", "envs", "agents")
_ENV_KEYS = ("id", "label", "kwargs", "objectives")
_AGENT_KEYS = ("name", "grid", "configs", "hparams", "seeds", "label")


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: everything :func:`archgym.runner.run` needs, plus labels for tables.

    ``env_kwargs`` holds the objective (as its dict) when the spec names one, so the objective is
    part of the run id.  ``env_label`` and ``objective_name`` only name the scenario in reports.
    """

    env_id: str
    agent: str
    seed: int
    budget: int
    env_kwargs: Mapping[str, Any] = field(default_factory=dict)
    hparams: Mapping[str, Any] = field(default_factory=dict)
    env_label: str = ""
    objective_name: str = ""
    agent_label: str = ""

    @property
    def scenario(self) -> str:
        """``<env label>/<objective name>``: the unit results are normalised within."""
        return f"{self.env_label or self.env_id}/{self.objective_name or 'default'}"

    def run_id(self) -> str:
        """The id the run loop gives this run (``<out>/<run_id>.parquet``)."""
        from archgym.registry import make_agent
        from archgym.runner import make_run_id

        agent = make_agent(self.agent, seed=self.seed, **dict(self.hparams))
        return make_run_id(self.env_id, self.env_kwargs, agent.name, agent.get_params(), self.seed,
                           self.budget, _config_hash(self.env_id, self.env_kwargs))


@dataclass(frozen=True)
class Sweep:
    """An expanded spec: its runs in a deterministic order, and where they go by default."""

    name: str
    runs: tuple[RunSpec, ...]
    out: str | None
    source: str
    ids: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.runs)


_HASHES: dict[str, str] = {}


def _config_hash(env_id: str, env_kwargs: Mapping[str, Any]) -> str:
    """The simulator config hash, cached per env: building a simulator can cost a trace parse.

    The objective does not change the simulator, so it is left out of the cache key.
    """
    kwargs = {k: v for k, v in env_kwargs.items() if k != "objective"}
    key = json.dumps([env_id, kwargs], sort_keys=True, default=str)
    if key not in _HASHES:
        from archgym.registry import make

        _HASHES[key] = make(env_id, **kwargs).unwrapped.simulator.config_hash()
    return _HASHES[key]


class _Checker:
    """Type checks that raise :class:`SweepSpecError` with the file and the key path."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, problem: str) -> SweepSpecError:
        return SweepSpecError(self.source, key, problem)

    def mapping(self, value: Any, key: str, allowed: tuple[str, ...] | None = None) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be a mapping, got {type(value).__name__} {value!r}")
        if allowed is not None:
            unknown = sorted(set(value) - set(allowed))
            if unknown:
                raise self.fail(key, f"unknown key(s) {unknown}; allowed: {', '.join(allowed)}")
        return value

    def items(self, value: Any, key: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(key, f"must be a non-empty list, got {value!r}")
        return value

    def positive_int(self, value: Any, key: str, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1 or (high is not None and value > high):
            limit = f" at most {high:,}" if high is not None else ""
            raise self.fail(key, f"must be a positive integer{limit}, got {value!r}")
        return value

    def seeds(self, value: Any, key: str) -> list[int]:
        if isinstance(value, int) and not isinstance(value, bool):
            return list(range(self.positive_int(value, key, MAX_RUNS)))
        seeds = self.items(value, key)
        for i, s in enumerate(seeds):
            if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < 2**32:
                raise self.fail(f"{key}[{i}]", f"a seed must be a non-negative integer in [0, 2**32 - 1], got {s!r}")
        if len(set(seeds)) != len(seeds):
            raise self.fail(key, f"seeds repeat: {seeds}")
        return list(seeds)


def expand(spec: Any, source: str = "<spec>") -> Sweep:
    """Check a spec mapping and expand it into runs (env × objective × agent × grid × seed)."""
    c = _Checker(source)
    spec = c.mapping(spec, "", _TOP_KEYS)
    for required in ("budget", "envs", "agents"):
        if required not in spec:
            raise c.fail(required, "is required")
    budget = c.positive_int(spec["budget"], "budget", MAX_BUDGET)
    seeds = c.seeds(spec.get("seeds", 1), "seeds")
    envs = [_env_scenarios(c, e, f"envs[{i}]") for i, e in enumerate(c.items(spec["envs"], "envs"))]
    agents = [_agent_configs(c, a, f"agents[{j}]", seeds) for j, a in enumerate(c.items(spec["agents"], "agents"))]
    count = sum(len(s) for s in envs) * sum(len(configs) * len(s) for _, _, configs, s in agents)
    if count > MAX_RUNS:
        raise c.fail("", f"expands to {count:,} runs; the limit is {MAX_RUNS:,} runs per spec (split it)")
    runs: list[RunSpec] = []
    for scenarios in envs:
        for env_id, label, kwargs, obj_name in scenarios:
            for name, agent_label, configs, agent_seeds in agents:
                for hp in configs:
                    runs += [RunSpec(env_id, name, s, budget, kwargs, hp, label, obj_name, agent_label)
                             for s in agent_seeds]
    ids = _unique_ids(c, runs)
    out = spec.get("out")
    if out is not None and not isinstance(out, str):
        raise c.fail("out", f"must be a directory path, got {out!r}")
    return Sweep(str(spec.get("name") or Path(source).stem), tuple(runs), out, source, ids)


def _env_scenarios(c: _Checker, env: Any, key: str) -> list[tuple[str, str, dict[str, Any], str]]:
    import gymnasium as gym

    from archgym.errors import ArchGymError
    from archgym.objectives import objective_from_dict
    from archgym.registry import entry

    env = {"id": env} if isinstance(env, str) else c.mapping(env, key, _ENV_KEYS)
    try:
        env_id = entry(env.get("id")).id
    except ArchGymError as exc:
        raise c.fail(f"{key}.id", str(exc)) from None
    kwargs = dict(c.mapping(env.get("kwargs") or {}, f"{key}.kwargs"))
    if "objective" in kwargs and "objectives" in env:
        raise c.fail(f"{key}.kwargs.objective", "give the objective either here or under 'objectives', not both")
    objectives = c.mapping(env.get("objectives") or {None: None}, f"{key}.objectives")
    scenarios = []
    label = env.get("label")
    for obj_name, obj in objectives.items():
        okey = f"{key}.objectives.{obj_name}"
        full = dict(kwargs)
        if obj is not None:
            try:
                objective_from_dict(c.mapping(obj, okey))
            except ArchGymError as exc:
                raise c.fail(okey, str(exc)) from None
            full["objective"] = dict(obj)
        try:  # the env checks kwargs, and that the objective reads metrics the simulator has
            made = gym.make(env_id, **full)
        except (ArchGymError, TypeError, OSError) as exc:
            raise c.fail(okey if obj is not None else f"{key}.kwargs", f"{env_id} refuses it: {exc}") from None
        label = label or made.unwrapped.simulator.workload or env_id  # default label: the workload's name
        scenarios.append((env_id, str(label), full, "" if obj_name is None else str(obj_name)))
    return scenarios


def _agent_configs(c: _Checker, agent: Any, key: str, seeds: list[int]
                   ) -> tuple[str, str, list[dict[str, Any]], list[int]]:
    from archgym.errors import ArchGymError, UnknownNameError
    from archgym.registry import AGENTS, agent_class

    agent = {"name": agent} if isinstance(agent, str) else c.mapping(agent, key, _AGENT_KEYS)
    name = agent.get("name")
    if not isinstance(name, str) or name not in AGENTS:
        raise c.fail(f"{key}.name", str(UnknownNameError("agent", name, AGENTS)))
    allowed = agent_class(name).hyperparameters()
    grid = c.mapping(agent.get("grid") or {}, f"{key}.grid")
    fixed = c.mapping(agent.get("hparams") or {}, f"{key}.hparams")
    listed = [c.mapping(x, f"{key}.configs[{i}]") for i, x in enumerate(c.items(agent["configs"], f"{key}.configs"))] \
        if "configs" in agent else [{}]
    parts = [(f"grid.{k}", k) for k in grid] + [(f"hparams.{k}", k) for k in fixed]
    parts += [(f"configs[{i}].{k}", k) for i, x in enumerate(listed) for k in x]
    for where, k in parts:
        if k not in allowed:
            raise c.fail(f"{key}.{where}", f"agent {name!r} has no such hyperparameter; it takes {sorted(allowed)}")
    in_configs = set().union(*(set(x) for x in listed))
    twice = (set(grid) & set(fixed)) | (in_configs & (set(grid) | set(fixed)))
    if twice:
        raise c.fail(key, f"{sorted(twice)} are set twice (grid, hparams and configs must not overlap)")
    keys = list(grid)
    values = [c.items(grid[k], f"{key}.grid.{k}") for k in keys]
    cls = agent_class(name)
    every_value = [(f"grid.{k}[{i}]", k, v) for k in keys for i, v in enumerate(grid[k])] + \
        [(f"hparams.{k}", k, v) for k, v in fixed.items()] + \
        [(f"configs[{i}].{k}", k, v) for i, x in enumerate(listed) for k, v in x.items()]
    for where, hp, value in every_value:
        try:
            cls.check_params({hp: value})
        except ArchGymError as exc:
            raise c.fail(f"{key}.{where}", str(exc)) from None
    n_configs = len(listed) * math.prod(len(v) for v in values)
    if n_configs > MAX_RUNS:
        raise c.fail(key, f"expands to {n_configs:,} configurations; the limit is {MAX_RUNS:,} runs per spec")
    configs = [{**fixed, **one, **dict(zip(keys, combo, strict=True))}
               for one in listed for combo in itertools.product(*values)]
    agent_seeds = c.seeds(agent["seeds"], f"{key}.seeds") if "seeds" in agent else seeds
    return name, str(agent.get("label") or name), configs, agent_seeds


def _unique_ids(c: _Checker, runs: list[RunSpec]) -> tuple[str, ...]:
    """Every run's id; two entries that resolve to the same configuration are an error."""
    seen: dict[str, RunSpec] = {}
    for r in runs:
        rid = r.run_id()
        if rid in seen:
            raise c.fail("", f"two entries resolve to the same run ({r.agent} on {r.scenario}, hyperparameters "
                             f"{dict(r.hparams)}, seed {r.seed}); a sweep runs each configuration once")
        seen[rid] = r
    return tuple(seen)


def load_spec(path: str | Path) -> Sweep:
    """Read and expand a YAML spec; YAML errors (syntax, a duplicate key, a byte that is not
    UTF-8) name the file and line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SweepSpecError(str(path), "", f"cannot read spec ({exc.strerror or exc})") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise SweepSpecError(str(path), "", f"the spec is {len(raw):,} bytes; the limit is {MAX_SPEC_BYTES:,}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SweepSpecError(str(path), f"line {line}, column {col}",
                             f"byte 0x{raw[exc.start]:02x} is not UTF-8; specs must be UTF-8 text") from None
    try:
        spec = load_yaml(text)
    except YamlError as exc:
        raise SweepSpecError(str(path), exc.where, str(exc)) from None
    _check_size(spec, str(path))
    return expand(spec, str(path))


def _check_size(spec: Any, source: str) -> None:
    """Refuse a spec whose values, with YAML aliases expanded, exceed ``MAX_VALUES``: a few
    nested aliases (a "billion laughs" document) load as shared references in microseconds but
    expand to gigabytes when the runs' kwargs are hashed."""
    stack, count = [spec], 0
    while stack:
        value = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise SweepSpecError(source, "", f"more than {MAX_VALUES:,} values once YAML aliases are expanded")
        if isinstance(value, Mapping):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
