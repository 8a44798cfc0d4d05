"""Fuzz: objective dicts and env keyword arguments.

Objectives: dicts of every kind with fields replaced by arbitrary values (strings, booleans, NaN,
zero or negative scales, wrong containers, unknown fields) either build an objective or raise an
:class:`~archgym.errors.ArchGymError` naming the field; a built objective scores metric columns
(NaN and inf included) without NaN rewards, and a feasible, finite design within a bounded
objective gets a reward within its bounds.

Env kwargs: ``gymnasium.make`` with arbitrary ``max_steps``, ``render_mode``, ``backend``,
workloads and misspelt keyword names: an error naming the argument (with a suggestion for a
near miss), or an env that steps.
"""

from __future__ import annotations

import functools
import math

import gymnasium as gym
import numpy as np
from fuzzkit import fuzz_settings, outcome
from hypothesis import given
from hypothesis import strategies as st

import archgym  # noqa: F401  (registers the envs)
from archgym.objectives import objective_from_dict

METRICS = ("latency_ms", "energy_mJ", "area_mm2")

anything = st.one_of(
    st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(max_size=6), st.sampled_from(["1.0", "min", "max", "l2", "at_most", "latency_ms"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.sampled_from(METRICS + ("x",)), st.floats(), max_size=2),
)
positive = st.floats(min_value=1e-6, max_value=1e6)
metric_map = st.dictionaries(st.sampled_from(METRICS), positive, min_size=1, max_size=3)
goals = st.dictionaries(st.sampled_from(METRICS), st.sampled_from(["min", "max"]), min_size=2, max_size=3)

valid_objectives = st.one_of(
    st.builds(lambda t, n, m: {"kind": "target", "targets": t, "norm": n, "mode": m}, metric_map,
              st.sampled_from(["l1", "l2", "linf"]), st.sampled_from(["two_sided", "at_most"])),
    st.builds(lambda b: {"kind": "budgets", "budgets": b}, metric_map),
    st.builds(lambda k, m, s: {"kind": k, "metric": m, "scale": s}, st.sampled_from(["minimize", "maximize"]),
              st.sampled_from(METRICS), positive),
    st.builds(lambda w: {"kind": "weighted_sum", "weights": w}, metric_map),
    st.builds(lambda w, lo: {"kind": "weighted_mean", "weights": w, "lower": lo, "upper": lo + 100.0}, metric_map,
              st.floats(-1e3, 1e3)),
    st.builds(lambda g: {"kind": "multi", "goals": g, "ref_point": {k: 1e3 for k in g}}, goals),
    st.builds(lambda b: {"kind": "constrained", "objective": {"kind": "minimize", "metric": "latency_ms"},
                         "budgets": b}, metric_map),
)


@st.composite
def objective_dicts(draw):
    d = draw(valid_objectives)
    touched: list[str] = []
    for _ in range(draw(st.integers(0, 2))):
        field = draw(st.sampled_from(sorted(d)))
        how = draw(st.sampled_from(["value", "inner", "drop", "extra"]))
        if how == "inner" and isinstance(d[field], dict) and d[field]:
            k = draw(st.sampled_from(sorted(d[field], key=str)))
            d[field] = {**d[field], k: draw(anything)}
            touched += [field, str(k)]
        elif how == "drop":
            d.pop(field)
            touched.append(field)
        elif how == "extra":
            key = draw(st.sampled_from(["weight", "targes", "scales", "bogus"]))
            d[key] = draw(anything)
            touched.append(key)
        else:
            d[field] = draw(anything)
            touched.append(field)
    return d, touched


def _results(rng: np.random.Generator, n: int, weird: bool) -> dict[str, np.ndarray]:
    out = {m: rng.lognormal(0, 2, n) for m in METRICS}
    if weird:
        for m in METRICS:
            out[m][rng.random(n) < 0.3] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -1.0, 1e308])
    out["feasible"] = rng.random(n) < 0.8
    return out


@fuzz_settings(max_examples=350)
@given(objective_dicts(), st.integers(0, 2**32 - 1), st.booleans())
def test_fuzz_objectives(case, seed, weird):
    d, touched = case
    names = touched + ["objective", "kind"] if touched else []
    def build():
        o = objective_from_dict(d)
        o.check(METRICS)  # what an env does: the objective must read metrics the simulator has
        return o

    obj = outcome("objectives", build, names=names)
    if obj is None:
        return
    assert objective_from_dict(obj.to_dict()) == obj  # round trip
    res = _results(np.random.default_rng(seed), 16, weird)
    r = np.asarray(obj(res))
    assert r.shape == (16,) and not np.isnan(r).any()
    feasible = res["feasible"]
    assert np.all(r[~feasible] == obj.infeasible_reward)
    finite = feasible & np.all([np.isfinite(res[m]) for m in METRICS], axis=0)
    lo, hi = obj.bounds
    if math.isfinite(lo) and math.isfinite(hi):
        assert np.all((r[finite] >= lo - 1e-12) & (r[finite] <= hi + 1e-12))


@functools.cache
def _warm(env_id: str) -> None:
    gym.make(env_id)  # loads the default workload once, outside the timed cases


kwarg_values = st.one_of(anything, st.sampled_from(["alexnet", "resnet18", "stream", "random", "DDR3-1600",
                                                    "audio_decoder", "proxy:", "proxy:/nonexistent.prx",
                                                    "model", "scalesim:", "dramsys:/nope", "farsi", "exact",
                                                    "allocation", "mapping", "ansi", "human", "/nonexistent.csv"]))
kwarg_names = st.sampled_from(["max_steps", "render_mode", "backend", "workload", "trace", "memspec", "memory",
                               "formulation", "trace_clk_mhz", "objective", "worklaod", "max_step", "seed",
                               "Workload", "n_sa", "tech", "fixed"])


GOOD = {  # values each env takes, so that a good share of cases build and step an env
    "archgym/Systolic-v0": {"workload": ["alexnet", "mobilenet"], "memory": ["closed"], "max_steps": [1, 4, 16],
                            "render_mode": ["ansi", None], "backend": ["model", None]},
    "archgym/DRAM-v0": {"trace": ["stream", "cloud-1"], "memspec": ["DDR3-1600", "DDR4-2400"],
                        "trace_clk_mhz": [400.0, 800, 1600.5], "max_steps": [2, 16]},
    "archgym/SoC-v0": {"workload": ["audio_decoder", "edge_detection"], "formulation": ["allocation", "mapping"],
                       "max_cores": [1, 2, 4], "max_steps": [3]},
    "archgym/CoDesign-v0": {"workload": ["cifar10+digits", "cifar10x2"], "max_steps": [2, 16]},
}


@st.composite
def env_kwargs(draw):
    env_id = draw(st.sampled_from(sorted(GOOD)))
    good = GOOD[env_id]
    kwargs = {k: draw(st.sampled_from(v)) for k, v in good.items() if draw(st.booleans())}
    if draw(st.integers(0, 2)):  # two in three cases: one or two arbitrary entries
        kwargs.update(draw(st.dictionaries(kwarg_names, kwarg_values, min_size=1, max_size=2)))
    return env_id, kwargs


@fuzz_settings(max_examples=200)
@given(env_kwargs())
def test_fuzz_env_kwargs(case):
    env_id, kwargs = case
    _warm(env_id)

    def make_and_step():
        env = gym.make(env_id, **kwargs)
        env.reset(seed=0)
        obs, reward, *_ = env.step(env.action_space.sample())
        assert np.all(np.isfinite(obs)) and not np.isnan(reward)
        return env

    outcome(f"env_kwargs/{env_id.split('/')[1]}", make_and_step, names=list(kwargs))
