"""Evaluate one SoC design with a real FARSI checkout (run by FARSI's own interpreter).

Not imported by archgym: :mod:`archgym.simulators.soc.farsi_backend` runs this file as a script
with the Python of FARSI's venv (numpy<2, pandas 1.5), in a fresh temporary directory::

    python farsi_runner.py FARSI_DIR SPEC.json OUT.json

(``SPEC.json`` may also hold ``{"batch": [spec, ...]}``, designs of one workload evaluated in one
FARSI process; ``OUT.json`` is then a list.)

``SPEC.json`` names the workload, the database folder and the design as FARSI block names and
connections (see ``farsi_backend.spec_of``); the design is built exactly as ArchGym's
``FARSIEnv.step`` builds it (``get_block_by_name`` → ``sample_similar_block`` → ``connect`` →
``load_improved`` → ``HardwareGraph`` → ``load_tasks_to_read_mem_and_ic`` → ``pipe_design``) and
evaluated with FARSI's ``eval_design``.  FARSI writes into its CACTI folder (a config copy and a
result cache); this script points both at the temporary directory, so concurrent evaluations never
share files, and the database is linked in as ``parsing/`` (FARSI reads ``<dir>/parsing``).
"""

import contextlib
import io
import json
import os
import shutil
import sys
import time


def main(farsi, spec_path, out_path):
    # FARSI's CACTI handler changes the working directory: hold only absolute paths
    farsi, spec_path, out_path = (os.path.abspath(p) for p in (farsi, spec_path, out_path))
    with open(spec_path) as f:
        spec = json.load(f)
    specs = spec["batch"] if "batch" in spec else [spec]  # a batch: designs of one workload
    work = os.path.dirname(os.path.abspath(spec_path))
    os.symlink(specs[0]["database"], os.path.join(work, "parsing"))
    log = io.StringIO()
    try:
        results = run(farsi, specs, work, log)
    except BaseException:  # FARSI calls exit() on bad input: show what it printed before
        sys.stderr.write(log.getvalue()[-4000:])
        raise
    out = [result_of(*r) for r in results]
    with open(out_path, "w") as f:
        json.dump(out if "batch" in spec else out[0], f)


def run(farsi, specs, work, log):
    """Import FARSI (its prints go to ``log``), set it up once, build and evaluate every design.

    Returns per design ``(stats, setup CPU s, build CPU s, eval_design CPU s)``; the setup (parsing
    the database) is paid once per process, and CACTI's cache is shared by the designs of a batch
    (as in a FARSI exploration), so later designs of a batch show FARSI's warm cost."""
    sys.path[:0] = [farsi, os.path.join(farsi, "data_collection", "collection_utils")]
    with contextlib.redirect_stdout(log):
        # the order matters: FARSI's modules import each other circularly, and only this order
        # (ArchGym's) resolves; keep isort away from it
        import home_settings  # noqa: F401, I001  (FARSI's settings read it at import)
        from top.main_FARSI import set_up_FARSI_with_arch_gym  # isort: skip
        from settings import config  # isort: skip

        config.database_data_dir = work
        shutil.copy(config.cacti_param_addr, os.path.join(work, "farsi_gen.cfg"))
        config.cacti_param_addr = os.path.join(work, "farsi_gen.cfg")
        config.cacti_data_log_file = os.path.join(work, "cacti_log.csv")
        from design_utils.components.hardware import HardwareGraph
        from design_utils.design import ExDesignPoint
        from specs.database_input import database_input_class

        t0 = time.process_time()
        hndlr = setup(specs[0], config, database_input_class, set_up_FARSI_with_arch_gym)
        setup_s = time.process_time() - t0
        out = []
        for spec in specs:
            t0 = time.process_time()
            ex_dp = build(hndlr, spec, HardwareGraph, ExDesignPoint)
            t1 = time.process_time()
            sim_dp = hndlr.dse.eval_design(ex_dp, hndlr.dse.database)
            t2 = time.process_time()
            out.append((sim_dp.dp_stats, setup_s, t1 - t0, t2 - t1))
    return out


def result_of(stats, setup_s, build_s, eval_s):
    """FARSI's metrics (SI units) and CPU times as a JSON-able dict."""
    latency = list(stats.get_system_complex_metric("latency").values())[0]
    blocks = stats.dp.dp_rep.get_blocks()  # the evaluated copy (eval_design copies ex_dp)
    mems = [b for b in blocks if b.type == "mem"]
    return {"latency_s": latency, "power_W": stats.get_system_complex_metric("power"),
            "area_m2": stats.get_system_complex_metric("area"), "energy_J": stats.get_system_complex_metric("energy"),
            "area_pe_m2": sum(b.get_area() for b in blocks if b.type == "pe"),
            "area_mem_m2": sum(b.get_area() for b in mems),
            "area_ic_m2": sum(b.get_area() for b in blocks if b.type == "ic"),
            "mem_bytes": sum(b.get_area_in_bytes() for b in mems),
            "setup_cpu_s": setup_s, "build_cpu_s": build_s, "sim_cpu_s": eval_s}


def setup(spec, config, database_input_class, set_up):
    """FARSI's DSE handler with ArchGym's ``FARSIEnv.set_env`` settings."""
    freq_range = [1, 4, 6, 8]
    config.transformation_selection_mode = "random"
    config.SA_depth = 1
    config.heuristic_type = "simple_greedy_one_sample"
    knobs = {"ip_freq_correction_ratio": 1, "gpp_freq_correction_ratio": 1,
             "ip_spawn": {"ip_loop_unrolling": {"incr": 2, "max_spawn_ip": 17, "spawn_mode": "geometric"},
                          "ip_freq_range": freq_range},
             "mem_spawn": {"mem_freq_range": freq_range}, "ic_spawn": {"ic_freq_range": freq_range},
             "tech_node_SF": {"perf": 1, "energy": {"non_gpp": .064, "gpp": 1},
                              "area": {"non_mem": .0374, "mem": .07, "gpp": 1}},
             "base_budget_scaling": {"latency": 1, "power": 1, "area": 1},
             "queue_available_size": [1, 2, 4, 8, 16], "burst_size_options": [1024],
             "task_spawn": {"parallel_task_cnt": 2, "serial_task_cnt": 3}}
    population = {"db_mode": "parse", "hw_graph_mode": "generated_from_scratch",
                  "workloads": {spec["workload"]}, "misc_knobs": knobs}
    acc = {"latency": 1, "energy": 1, "area": 1, "one_over_area": 1}
    hw_sampling = {"mode": "exact", "population_size": 1, "reduction": "most_likely",
                   "accuracy_percentage": {k: acc for k in ("sram", "dram", "ic", "gpp", "ip")}}
    return set_up("", "1", "simple_run", database_input_class(population), hw_sampling,
                  population["hw_graph_mode"])


def build(hndlr, spec, HardwareGraph, ExDesignPoint):
    """The design of ``spec``, built as ArchGym's ``FARSIEnv.step`` builds it."""
    db = hndlr.database
    soc = sorted(db.SOCsL, key=lambda s: s.get_budget("latency"))[0].type

    def instance(name, copy_soc=False):
        ref = db.get_block_by_name(name)
        if ref is None:
            raise SystemExit(f"FARSI's library has no block {name!r}")
        blk = db.sample_similar_block(ref)
        if copy_soc:
            blk = db.copy_SOC(blk, ref)
        blk.set_SOC(soc, db.SOC_id)
        return blk

    pes = [instance(n) for n in spec["pes"]]
    mems = [instance(n, copy_soc=True) for n in spec["mems"]]
    ics = [instance(n) for n in spec["ics"]]
    for pe, ic in zip(pes, spec["pe_to_ic"], strict=True):
        pe.connect(ics[ic])
    for k, j in enumerate(spec["ic_to_ic"]):
        if j >= 0:
            ics[k].connect(ics[j])
    for mem, ic in zip(mems, spec["mem_to_ic"], strict=True):
        ics[ic].connect(mem)
    for name, p in spec["task_to_pe"].items():
        task = db.get_task_by_name(name)
        pes[p].load_improved(task, task)
    for name, m in spec["task_to_mem"].items():
        task = db.get_task_by_name(name)
        for child in task.get_children():
            mems[m].load_improved(task, child)
    graph = HardwareGraph(pes[0])
    ex_dp = ExDesignPoint(graph)
    hndlr.dse.dh.load_tasks_to_read_mem_and_ic(ex_dp)
    ex_dp.hardware_graph.update_graph()
    ex_dp.hardware_graph.pipe_design()
    return ex_dp


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit("usage: farsi_runner.py FARSI_DIR SPEC.json OUT.json")
    main(*sys.argv[1:])
