"""Score both systolic memory models against the generated SCALE-Sim 3.0.0 validation set.

Reads ``validation_scalesim_3.0.0.json`` (written by ``generate_validation.py``; no SCALE-Sim
needed here) and prints the validation report as markdown: for the exact mode, how many cases
match SCALE-Sim exactly; for the closed form, relative errors of stall cycles, total cycles and
DRAM traffic (median / p90 / max), per dataflow and layer kind, and the Spearman rank
correlation with SCALE-Sim inside every one-knob sweep.

Usage::

    python experiments/systolic/validate_memory.py [--json validation.json] [--skip-exact]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from archgym.simulators.systolic.compute import dataflow_code
from archgym.simulators.systolic.memory import layer_cases
from archgym.simulators.systolic.topology import Layer

DEFAULT = Path(__file__).with_name("validation_scalesim_3.0.0.json")
EXACT_KEYS = ("stall_cycles", "total_cycles", "dram_ifmap_reads", "dram_filter_reads", "dram_ofmap_writes")


def case_layer(r: dict[str, Any]) -> Layer:
    """The archgym layer of a validation case (GEMMs in SCALE-Sim's conv lowering)."""
    if r["kind"] == "gemm":
        return Layer.gemm(r["layer"], *r["dims"])
    return Layer.conv(r["layer"], *r["dims"])


def load(path: Path = DEFAULT) -> list[dict[str, Any]]:
    return json.loads(Path(path).read_text())["cases"]


def closed_form(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The closed form's per-case results (vectorised over all cases at once)."""
    col = lambda k: np.array([r[k] for r in rows], dtype=np.int64)  # noqa: E731
    df = dataflow_code(np.array([r["dataflow"] for r in rows]))
    return layer_cases([case_layer(r) for r in rows], col("rows"), col("cols"), df,
                       tuple(col(k) for k in ("ifmap_sram_kB", "filter_sram_kB", "ofmap_sram_kB")), col("dram_bw"))


def exact(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The exact mode's per-case results."""
    from archgym.simulators.systolic.exact_memory import layer_memory

    out: dict[str, list[int]] = {k: [] for k in EXACT_KEYS}
    for r in rows:
        res = layer_memory(case_layer(r), r["rows"], r["cols"], int(dataflow_code(np.array([r["dataflow"]]))[0]),
                           (r["ifmap_sram_kB"], r["filter_sram_kB"], r["ofmap_sram_kB"]), r["dram_bw"])
        for k in EXACT_KEYS:
            out[k].append(res[k])
    return {k: np.array(v) for k, v in out.items()}


def rel_err(model: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|model − ref| / max(ref, 1)."""
    ref = np.asarray(ref, dtype=float)
    return np.abs(np.asarray(model, dtype=float) - ref) / np.maximum(ref, 1.0)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (average ranks for ties); 1.0 if either side is constant."""
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 1.0 if np.ptp(a) == np.ptp(b) == 0 else 0.0
    return float(spearmanr(a, b).statistic)


def sweep_correlations(rows: list[dict[str, Any]], model_total: np.ndarray) -> dict[str, float]:
    """Spearman(model, SCALE-Sim) of total cycles inside every one-knob sweep."""
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if r["sweep"] != "random":
            groups.setdefault(r["sweep"], []).append(i)
    ref = np.array([r["total_cycles"] for r in rows], dtype=float)
    return {k: spearman(model_total[v], ref[v]) for k, v in groups.items() if len(v) >= 3}


def error_table(rows: list[dict[str, Any]], m: dict[str, np.ndarray]) -> str:
    """Markdown: median / p90 / max relative error per group, for stalls, total cycles, DRAM."""
    ref = {k: np.array([r[k] for r in rows]) for k in EXACT_KEYS}
    dram_ref = ref["dram_ifmap_reads"] + ref["dram_filter_reads"] + ref["dram_ofmap_writes"]
    dram_m = m["dram_ifmap_reads"] + m["dram_filter_reads"] + m["dram_ofmap_writes"]
    errs = {"stall": rel_err(m["stall_cycles"], ref["stall_cycles"]),
            "total": rel_err(m["total_cycles"], ref["total_cycles"]),
            "dram": rel_err(dram_m, dram_ref)}
    bound = bandwidth_bound(rows)
    groups = {"all": np.ones(len(rows), bool)}
    for df in ("os", "ws", "is"):
        groups[df] = np.array([r["dataflow"] == df for r in rows])
    for kind in ("gemm", "conv"):
        groups[kind] = np.array([r["kind"] == kind for r in rows])
    lines = ["| cases | n | bandwidth-bound | stall median | stall p90 | total median | total p90 | "
             "total median (bw-bound) | DRAM median | DRAM p90 |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, g in groups.items():
        if not g.any():
            continue
        e = {k: 100 * v[g] for k, v in errs.items()}
        st = 100 * errs["stall"][g & bound]
        st_txt = (f"{np.median(st):.1f}% | {np.percentile(st, 90):.1f}%" if st.size else "– | –")
        tb = 100 * errs["total"][g & bound]
        tb_txt = f"{np.median(tb):.1f}%" if tb.size else "–"
        lines.append(f"| {name} | {g.sum()} | {(g & bound).sum()} | {st_txt} | {np.median(e['total']):.2f}% | "
                     f"{np.percentile(e['total'], 90):.1f}% | {tb_txt} | {np.median(e['dram']):.1f}% | "
                     f"{np.percentile(e['dram'], 90):.1f}% |")
    return "\n".join(lines)


def bandwidth_bound(rows: list[dict[str, Any]]) -> np.ndarray:
    """Cases where SCALE-Sim stalls at least 5 % of the compute cycles (stall errors are
    measured on these: relative to a near-zero stall, any error is unbounded)."""
    return np.array([r["stall_cycles"] >= 0.05 * (r["total_cycles"] - r["stall_cycles"]) for r in rows])


def report(rows: list[dict[str, Any]], with_exact: bool = True) -> str:
    out = [f"{len(rows)} single-layer SCALE-Sim 3.0.0 cases "
           f"({sum(r['kind'] == 'conv' for r in rows)} conv, {sum(r['kind'] == 'gemm' for r in rows)} GEMM).", ""]
    if with_exact:
        ex = exact(rows)
        same = np.ones(len(rows), bool)
        for k in EXACT_KEYS:
            same &= ex[k] == np.array([r[k] for r in rows])
        out += [f"**memory=\"exact\"**: stall cycles, total cycles and DRAM IFMAP/filter/OFMAP counts equal "
                f"SCALE-Sim's on {same.sum()} of {len(rows)} cases.", ""]
    cf = closed_form(rows)
    out += ["**memory=\"closed\"** (relative error |model − SCALE-Sim| / max(SCALE-Sim, 1); stall errors "
            "over the bandwidth-bound cases, where SCALE-Sim stalls ≥ 5 % of the compute cycles):", "",
            error_table(rows, cf), ""]
    sp = sweep_correlations(rows, cf["total_cycles"].astype(float))
    vals = np.array(list(sp.values()))
    worst = min(sp, key=sp.get) if sp else "-"
    out += [f"Spearman of total cycles inside {len(sp)} one-knob sweeps: min {vals.min():.3f} ({worst}), "
            f"median {np.median(vals):.3f}; {np.sum(vals >= 0.95)} of {len(vals)} ≥ 0.95.  Below 0.95: "
            + ", ".join(f"{k} {v:.2f}" for k, v in sorted(sp.items(), key=lambda kv: kv[1]) if v < 0.95) + "."]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=DEFAULT)
    ap.add_argument("--skip-exact", action="store_true")
    args = ap.parse_args()
    print(report(load(args.json), with_exact=not args.skip_exact))


if __name__ == "__main__":
    main()
