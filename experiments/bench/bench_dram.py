"""CPU time of the DRAM model per (design, 10,000-request trace), next to DRAMSys.

Measures, per ArchGym trace: (1) one design on a cold trace (its timing class is simulated on
demand), (2) the one-time pass that times all 576 timing classes (every other knob is closed form),
and (3) a batch of 1,000 random designs afterwards (warm: table lookups + closed form).  Once per
process, before the traces, the compiled timing kernel is loaded (numba import + its on-disk cache,
or a compilation when the cache is cold): printed separately, as it is paid once, not per trace.  DRAMSys's
CPU time comes from ``calibration.csv`` (``cpu_s``, 1,080 real runs on a similar 2-core machine), or
is measured side by side when ``ARCHGYM_DRAMSYS`` points at a DRAMSys binary.

Usage: ``python experiments/bench/bench_dram.py [path/to/shared/dramsys]``.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from archgym.simulators.dram import SPACE, DRAMSimulator, generate_trace
from archgym.simulators.dram.model import N_CLASSES

TRACES = ("stream", "random", "cloud-1", "cloud-2")


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[3] / "shared" / "dramsys"
    cal = pd.read_csv(shared / "calibration.csv") if (shared / "calibration.csv").is_file() else None
    designs = SPACE.sample(np.random.default_rng(0), 1000)
    t0 = time.process_time()
    DRAMSimulator(trace=generate_trace("random", 200, seed=5)).evaluate(designs[:1])
    print(f"once per process: loading the compiled timing kernel took {time.process_time() - t0:.2f} s CPU\n")
    rows = []
    for tr in TRACES:
        trace = shared / f"{tr}.stl" if (shared / f"{tr}.stl").is_file() else tr
        sim = DRAMSimulator(trace=trace)
        t0 = time.process_time()
        sim.evaluate(designs[:1])           # cold: simulates only this design's timing class
        cold_one = time.process_time() - t0
        t0 = time.process_time()
        sim.precompute()                    # the remaining timing classes, in one vectorised pass
        build = time.process_time() - t0 + cold_one
        t0 = time.process_time()
        sim.evaluate(designs)
        batch = (time.process_time() - t0) / len(designs)
        ref = float(cal[cal.trace == f"{tr}.stl"].cpu_s.median()) if cal is not None else float("nan")
        rows.append({"trace": tr, "cold_one_design_s": cold_one, "table_build_s": build, "per_class_ms": 1e3 * build / N_CLASSES,
                     "per_design_warm_us": 1e6 * batch, "dramsys_cpu_s_median": ref,
                     "first_1000_s_per_design": (build + batch * 1000) / 1000,
                     "ratio_first_1000": ref / ((build + batch * 1000) / 1000),
                     "ratio_warm": ref / batch})
    df = pd.DataFrame(rows)
    print(df.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    binary = os.environ.get("ARCHGYM_DRAMSYS")
    if not binary:
        print("DRAMSys binary not set (ARCHGYM_DRAMSYS); DRAMSys figures are calibration.csv cpu_s medians.")
        return
    from archgym.simulators.dram.dramsys_backend import DRAMSysSimulator

    side = []
    for row in rows:
        tr = row["trace"]
        trace = shared / f"{tr}.stl" if (shared / f"{tr}.stl").is_file() else tr
        real = DRAMSysSimulator(binary, trace=trace)
        few = designs[:10]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        real.evaluate(few)
        wall = (time.perf_counter() - t0) / len(few)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / len(few)
        warm = row["per_design_warm_us"] * 1e-6
        side.append({"trace": tr, "dramsys_cpu_s": cpu, "dramsys_wall_s": wall,
                     "model_warm_us": row["per_design_warm_us"], "ratio_cpu_warm": cpu / warm,
                     "ratio_cpu_first_1000": cpu / row["first_1000_s_per_design"]})
    print("\nDRAMSys 4.0 measured side by side in this run (10 designs per trace, CPU of the child process):")
    print(pd.DataFrame(side).to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
