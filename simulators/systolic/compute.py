"""SCALE-Sim v2's compute model in closed form, vectorised over (design, layer) pairs.

Source: scale-sim-v2 ``compute/systolic_compute_{os,ws,is}.py`` and
``single_layer_sim.py::calc_report_data``.  These equations reproduce SCALE-Sim's total cycles
(CALC mode, no stalls), overall utilisation, mapping efficiency, compute utilisation and SRAM
access counts *exactly* (see tests/test_systolic_validation.py for the reference cases).

The array is ``R × C`` PEs.  A layer is a GEMM with ``P`` outputs, a window of ``Wn`` operands and
``K`` filters; each dataflow maps two of these to the array and streams the third in time (``T``):

========  ======  ======  ======
dataflow  Sr      Sc      T
========  ======  ======  ======
os        P       K       Wn
ws        Wn      K       P
is        Wn      P       K
========  ======  ======  ======

The spatial dims are tiled in ``F = ceil(Sr/R)·ceil(Sc/C)`` folds that run one after another,
each draining before the next: ``R + C + T − 2`` cycles per fold for OS, ``2R + C + T − 2`` for
WS/IS (R cycles to preload the stationary operand).  SCALE-Sim reports the last cycle index, so
total = ``F · cycles_per_fold − 1``.
"""

from __future__ import annotations

import numpy as np

from archgym.errors import UnknownNameError

DATAFLOWS = ("os", "ws", "is")
OS, WS, IS = 0, 1, 2


def dataflow_code(names: np.ndarray) -> np.ndarray:
    """Dataflow names to codes 0 (os), 1 (ws), 2 (is); a clear error for anything else."""
    arr = np.asarray(names).astype(str)
    codes = np.full(arr.shape, -1, dtype=np.int64)
    for i, n in enumerate(DATAFLOWS):
        codes[arr == n] = i
    if (codes < 0).any():
        bad = str(arr[codes < 0].ravel()[0])
        raise UnknownNameError("dataflow", bad, DATAFLOWS)
    return codes


def _ceil_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -(-a // b)


def compute(P: np.ndarray, Wn: np.ndarray, K: np.ndarray, R: np.ndarray, C: np.ndarray,
            df: np.ndarray) -> dict[str, np.ndarray]:
    """Exact SCALE-Sim compute metrics; all inputs broadcast together (int64).

    Returns (same broadcast shape): ``folds_r``, ``folds_c``, ``folds``, ``cycles_per_fold``,
    ``compute_cycles`` (total, CALC mode), ``macs``, ``mapping_eff``, ``compute_util``,
    ``overall_util`` (fractions, not %), and SRAM access counts in words: ``sram_ifmap_reads``,
    ``sram_filter_reads``, ``sram_ofmap_writes``; and the unique operand sizes ``filter_words``
    (Wn·K) and ``ofmap_words`` (P·K).
    """
    P, Wn, K, R, C, df = np.broadcast_arrays(*(np.asarray(x, dtype=np.int64) for x in (P, Wn, K, R, C, df)))
    is_os = df == OS
    Sr = np.where(is_os, P, Wn)
    Sc = np.where(df == IS, P, K)
    T = np.select([is_os, df == WS], [Wn, P], default=K)
    Fr = _ceil_div(Sr, R)
    Fc = _ceil_div(Sc, C)
    F = Fr * Fc
    cyc = np.where(is_os, R + C + T - 2, 2 * R + C + T - 2)
    cyc_util = np.where(is_os, R + C + T - 2, 2 * R + 2 * C + T - 3)  # SCALE-Sim's utilisation window
    total = F * cyc - 1
    macs = P * Wn * K
    RC = (R * C).astype(float)
    mapping_eff = (Sr / (Fr * R)) * (Sc / (Fc * C))
    compute_util = (Sr * Sc * T) / (F * RC * cyc_util)
    overall_util = macs / (total * RC)
    ifmap_reads = np.where(df == IS, Wn * P, P * Wn * Fc)
    filter_reads = np.select([is_os, df == WS], [Wn * K * Fr, Wn * K], default=Wn * K * Fc)
    ofmap_writes = np.where(is_os, P * K + F * (R + C), P * K * Fr)
    return {
        "folds_r": Fr, "folds_c": Fc, "folds": F, "cycles_per_fold": cyc, "compute_cycles": total,
        "macs": macs, "mapping_eff": mapping_eff, "compute_util": compute_util, "overall_util": overall_util,
        "sram_ifmap_reads": ifmap_reads, "sram_filter_reads": filter_reads, "sram_ofmap_writes": ofmap_writes,
        "Sr": Sr, "Sc": Sc, "T": T, "filter_words": Wn * K, "ofmap_words": P * K,
    }
