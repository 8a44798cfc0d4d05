"""Write the MARL study's sweep specs (``<env>.yaml``) from the lottery study's scenarios.

Scenarios are the lottery's, so their difficulty is already measured: DRAM-v0's four traces ×
three targets (low power, low latency, both), each a real design of the enumerated space met by a
known 0.3–33 % of designs (``experiments/lottery/dram_targets.json``); Systolic-v0 and SoC-v0 keep
the lottery's two workloads × two budget objectives (their spaces are too large to enumerate, so
"low power / low latency" targets cannot be picked with a known rarity; the budgets play that role).

Agents: every multi-agent variant per knob *and* per sub-system (``GROUPS``), the single-agent RL
baselines PPO and SAC, and GA, BO and random search as references — all at default
hyperparameters, with the same budget in simulator evaluations.  Only the larger budget is run:
every agent here is *anytime* (its first 100 proposals do not depend on whether the budget is 100
or 300; ``prefix_check.py`` verifies this bit for bit), so the smaller budget level is read from
the first 100 evaluations of the same runs.

    python experiments/marl/make_specs.py      # rewrites dram.yaml, systolic.yaml, soc.yaml
"""

from __future__ import annotations

from pathlib import Path

import yaml

from archgym.simulators.dram.model import SUBSYSTEMS

HERE = Path(__file__).parent
LOTTERY = HERE.parent / "lottery"
BUDGET = 300
BUDGET_LEVELS = (100, 300)
SEEDS = list(range(10))

#: one agent per sub-system.  DRAM: the memory controller's sub-systems (simulators/dram SUBSYSTEMS).
#: Systolic: compute array / on-chip SRAMs / off-chip interface.  SoC: CPU cluster / the six
#: accelerator IPs split in two stages (all six in one agent would be 6^6 = 46,656 joint actions) /
#: memories / bus.
GROUPS = {
    "dram": {k: list(v) for k, v in SUBSYSTEMS.items()},
    "systolic": {"array": ["rows", "cols", "dataflow"],
                 "sram": ["ifmap_sram_kB", "filter_sram_kB", "ofmap_sram_kB"],
                 "offchip": ["dram_bw"]},
    # SoC's accelerator knobs depend on the workload, so each workload is its own spec part
    "soc_audio_decoder": {"cores": ["n_cores", "core_freq_MHz"],
                          "ip_decode": ["ip_bitstream_unroll", "ip_huffman_unroll", "ip_dequant_unroll"],
                          "ip_synth": ["ip_shuffle_unroll", "ip_imdct_unroll", "ip_filterbank_unroll",
                                       "accel_freq_MHz"],
                          "memory": ["sram_kB", "sram_width_B", "dram_width_B"],
                          "bus": ["bus_width_B", "bus_freq_MHz"]},
    "soc_edge_detection": {"cores": ["n_cores", "core_freq_MHz"],
                           "ip_front": ["ip_io_unroll", "ip_color_unroll", "ip_conv2d_unroll"],
                           "ip_back": ["ip_magnitude_unroll", "ip_threshold_unroll", "accel_freq_MHz"],
                           "memory": ["sram_kB", "sram_width_B", "dram_width_B"],
                           "bus": ["bus_width_B", "bus_freq_MHz"]},
    # CoDesign: network cells split in two (one agent per cell would be 5^6 = 15,625 joint actions),
    # the other network, the network -> sub-accelerator mapping, and each sub-accelerator
    "codesign_cifar10+digits": {
        "cifar10_in": ["cifar10_edge_1_2", "cifar10_edge_1_3", "cifar10_edge_1_4"],
        "cifar10_out": ["cifar10_edge_2_3", "cifar10_edge_2_4", "cifar10_edge_3_4"],
        "digits_net": ["digits_conv1_channels", "digits_conv1_kernel", "digits_pool", "digits_conv2_channels",
                       "digits_conv2_kernel", "digits_fc_hidden"],
        "mapping": ["cifar10_sa", "digits_sa"],
        "sa0": ["sa0_template", "sa0_pes", "sa0_bw", "sa0_sram_kB"],
        "sa1": ["sa1_template", "sa1_pes", "sa1_bw", "sa1_sram_kB"]},
    "codesign_cifar10x2": {
        "fast_in": ["fast_edge_1_2", "fast_edge_1_3", "fast_edge_1_4"],
        "fast_out": ["fast_edge_2_3", "fast_edge_2_4", "fast_edge_3_4"],
        "slow_in": ["slow_edge_1_2", "slow_edge_1_3", "slow_edge_1_4"],
        "slow_out": ["slow_edge_2_3", "slow_edge_2_4", "slow_edge_3_4"],
        "mapping": ["fast_sa", "slow_sa"],
        "sa0": ["sa0_template", "sa0_pes", "sa0_bw", "sa0_sram_kB"],
        "sa1": ["sa1_template", "sa1_pes", "sa1_bw", "sa1_sram_kB"]},
}
#: the spec files of each env of the study (an env whose knobs differ by workload has one per workload)
PARTS = {"dram": ["dram"], "systolic": ["systolic"], "soc": ["soc_audio_decoder", "soc_edge_detection"],
         "dram_1000": ["dram_1000"], "codesign": ["codesign_cifar10+digits", "codesign_cifar10x2"]}

#: marl variants (registry name → label stem); each is run per knob and per sub-system
MARL = {"marl": "marl", "marl_shared": "marl_shared", "mappo": "mappo"}
SINGLE = ["ppo", "sac", "ga", "bo", "random"]


def agents(env: str) -> list:
    out: list = []
    for name, label in MARL.items():
        out.append({"name": name, "label": label})
        out.append({"name": name, "label": f"{label}_subsys", "hparams": {"groups": GROUPS[env]}})
    return out + SINGLE


def spec(part: str) -> dict:
    env, _, workload = part.partition("_")
    if env == "codesign":  # no lottery scenarios: each workload under its own specs (the default objective)
        return {"name": f"marl-{part}", "budget": BUDGET, "seeds": SEEDS, "out": "runs/marl/codesign",
                "envs": [{"id": "archgym/CoDesign-v0", "label": workload, "kwargs": {"workload": workload}}],
                "agents": agents(part)}
    lottery = yaml.safe_load((LOTTERY / f"{env}_seeds.yaml").read_text())
    envs = [e for e in lottery["envs"] if not workload or e.get("label") == workload]
    return {"name": f"marl-{part}", "budget": BUDGET, "seeds": SEEDS, "out": f"runs/marl/{env}",
            "envs": envs, "agents": agents(part)}


#: the long DRAM level: 1,000 evaluations for the RL agents whose runs stay cheap at that budget
#: (marl_shared ~8 s and bo ~6 s per run would triple the cost) plus ga and random as references
LONG_BUDGET = 1000
LONG_AGENTS = ["marl", "mappo"]


def long_spec() -> dict:
    base = spec("dram")
    marl = [a for a in agents("dram") if isinstance(a, dict) and a["name"] in LONG_AGENTS]
    return {**base, "name": "marl-dram-1000", "budget": LONG_BUDGET, "out": "runs/marl/dram_1000",
            "agents": marl + ["ppo", "sac", "ga", "random"]}


def main() -> None:
    (HERE / "dram_1000.yaml").write_text(
        "# Generated by experiments/marl/make_specs.py: the DRAM scenarios at 1,000 evaluations (levels 300, 1000).\n"
        + yaml.safe_dump(long_spec(), sort_keys=False))
    print("wrote dram_1000.yaml")
    for env in GROUPS:
        source = "the workload's default objective" if env.startswith("codesign") else \
            f"experiments/lottery/{env.partition('_')[0]}_seeds.yaml"
        head = (f"# Generated by experiments/marl/make_specs.py (scenarios from {source}).\n"
                f"# Budget {BUDGET} simulator evaluations per run; levels {BUDGET_LEVELS} are read from the same runs.\n")
        (HERE / f"{env}.yaml").write_text(head + yaml.safe_dump(spec(env), sort_keys=False))
        print(f"wrote {env}.yaml")


if __name__ == "__main__":
    main()
