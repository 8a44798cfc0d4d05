"""Proxy cost models: logged trajectories train a fast regressor that *is* a Simulator.

ArchGym's DRAMSys proxy lived in a notebook and its in-env hook loaded files that did not exist.
Here :func:`fit_proxy` turns any archgym dataset into a :class:`ProxySimulator`, a regular
:class:`~archgym.simulator.Simulator`, so every env, agent and the run loop work on it
unchanged (``gymnasium.make("archgym/DRAM-v0", backend="proxy:PATH")``).

This package's ``__init__`` is the public face; the private parts are ``_simulator`` (the model
behind the Simulator protocol, save/load, compatibility checks), ``_fit`` (honest fitting: split by
design, model selection on the training part only, held-out report, speed) and ``_models``
(estimators and scores).

Predictions outside the training data are flagged per design: ``proxy_extrapolating`` (a feature
outside the training range, e.g. a category never seen) always, and ``proxy_uncertainty`` (forest
tree spread or GP σ, relative) when :attr:`ProxySimulator.uncertainty` is on.  Both reach the env's
``info["extra"]``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from archgym.proxy._fit import (
    ProxyReport,
    evaluate_proxy,
    fit_proxy,
    select_estimator,
    split_designs,
    time_prediction,
)
from archgym.proxy._models import ESTIMATORS, fast_predict, make_estimator, scores
from archgym.proxy._simulator import FORMAT_VERSION, JOINT, ProxyError, ProxySimulator, check_compatible
from archgym.simulator import Simulator

__all__ = ["ESTIMATORS", "FORMAT_VERSION", "fast_predict", "make_estimator", "scores", "JOINT", "ProxyError", "ProxyReport", "ProxySimulator", "check_compatible",
           "evaluate_proxy", "fit_proxy", "load_proxy", "predict_frame", "select_estimator", "split_designs",
           "time_prediction"]


def load_proxy(path: str | os.PathLike[str], expect: Simulator | None = None,
               allow_subset: bool = False) -> ProxySimulator:
    """Shorthand for :meth:`ProxySimulator.load`."""
    return ProxySimulator.load(path, expect=expect, allow_subset=allow_subset)


def predict_frame(proxy: ProxySimulator, designs: Any) -> pd.DataFrame:
    """Predictions as a DataFrame (one row per design), handy in notebooks."""
    res = proxy.evaluate(designs)
    return pd.DataFrame({k: np.asarray(v) for k, v in res.items()})
