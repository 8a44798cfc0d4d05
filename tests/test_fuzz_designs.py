"""Fuzz: designs and batches given to ``Simulator.evaluate`` and actions given to ``env.step``.

A design with one field replaced by an arbitrary value (wrong type, out of range, NaN, a huge
integer, a string, a container), a field missing, an unknown field, or a batch of such designs:
either an :class:`~archgym.errors.ArchGymError` naming the field, or metrics that are finite on
every feasible design.  Actions: anything that is not one in-range index vector is refused.
"""

from __future__ import annotations

import functools

import gymnasium as gym
import numpy as np
from fuzzkit import check_result, fuzz_settings, outcome
from hypothesis import given
from hypothesis import strategies as st

import archgym  # noqa: F401  (registers the envs)
from archgym.registry import make_simulator

ENVS = ("Systolic", "DRAM", "SoC", "CoDesign")

nasty = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(), st.text(max_size=8),
    st.sampled_from(["os", "Open", "Fifo", "AllBank", "", "1e3", "NaN", "\x00", "\xe9"]),
    st.lists(st.integers(0, 8), max_size=3),
    st.builds(np.int64, st.integers(-(2**63), 2**63 - 1)),
    st.builds(np.float32, st.floats(width=32)),
    st.just(np.array([1, 2])), st.just({"a": 1}),
)


@functools.cache
def _sim(name: str):
    sim = make_simulator(name)
    sim.evaluate(sim.space.sample(np.random.default_rng(0), 1))  # warm caches outside the timed cases
    return sim


@st.composite
def mutated_batch(draw):
    name = draw(st.sampled_from(ENVS))
    sim = _sim(name)
    n = draw(st.integers(1, 3))
    designs = sim.space.sample(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), n)
    names = list(sim.space.names)
    touched: list[str] = []
    for _ in range(draw(st.integers(0, 2))):
        d = designs[draw(st.integers(0, n - 1))]
        kind = draw(st.sampled_from(["replace", "replace", "drop", "extra"]))
        key = draw(st.sampled_from(names))
        if kind == "replace":
            d[key] = draw(nasty)
        elif kind == "drop":
            d.pop(key, None)
        else:
            key = draw(st.sampled_from(["bogus", key.lower(), key + "_", "rows ", ""]))
            if key in names:
                continue
            d[key] = draw(nasty)
        touched.append(key)
    return name, designs, touched


@fuzz_settings(max_examples=400)
@given(mutated_batch())
def test_fuzz_designs(case):
    name, designs, touched = case
    sim = _sim(name)
    result = outcome(f"designs/{name}", lambda: sim.evaluate(designs), names=touched or ["design"])
    if result is not None:
        check_result(result, sim.metric_names)


@functools.cache
def _env(name: str):
    env = gym.make(f"archgym/{name}-v0")
    env.reset(seed=0)
    return env


actions = st.one_of(
    st.lists(st.integers(-3, 40), min_size=0, max_size=40),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=7, max_size=30),
    st.lists(st.booleans(), min_size=7, max_size=30),
    st.lists(st.integers(-(2**70), 2**70), min_size=7, max_size=30),
    st.lists(st.lists(st.integers(0, 3), min_size=7, max_size=30), min_size=2, max_size=3),
    nasty,
)


@fuzz_settings(max_examples=150)
@given(st.sampled_from(ENVS), st.data())
def test_fuzz_env_actions(name, data):
    env = _env(name)
    space = env.unwrapped.space
    valid = st.lists(st.integers(0, 1), min_size=len(space), max_size=len(space))
    near = st.lists(st.integers(-1, 2), min_size=len(space), max_size=len(space))
    action = data.draw(st.one_of(valid, valid.map(np.array), valid.map(lambda a: np.array(a, dtype=float)),
                                 near, actions))
    out = outcome(f"actions/{name}", lambda: env.step(action),
                  names=["one design", "integer indices", "out of range", *space.names])
    if out is not None:
        a = np.asarray(action)
        # accepted: exactly one in-range integer index vector (bools refused)
        assert a.shape == (len(space),) and a.dtype.kind in "iuf" and a.dtype != bool
        assert np.all((a >= 0) & (a < space.nvec))
        obs, reward, *_ = out
        assert np.isfinite(reward) and np.all(np.isfinite(obs))
        if env.unwrapped._steps >= env.unwrapped.max_steps:
            env.reset(seed=0)
