"""Write a study's two specs (lottery and seeds) the same way for every env.

Both target scripts end here, so the spec layout — one seed per config in the lottery, defaults
over several seeds in the other, one shared output directory so identical runs are shared —
is defined once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


def write_study_specs(study: str, header: str, envs: list[dict[str, Any]], budget: int,
                      lottery_agents: list[Any], seed_agents: list[Any], n_seeds: int,
                      notes: tuple[str, str] = ("", "")) -> None:
    """Write ``<study>.yaml`` and ``<study>_seeds.yaml``; ``notes`` are extra comment lines."""
    common = {"budget": budget}
    out = f"runs/lottery/{study}"
    lottery = {"name": f"{study}-lottery", **common, "seeds": [0], "out": out, "envs": envs, "agents": lottery_agents}
    seeds = {"name": f"{study}-seeds", **common, "seeds": list(range(n_seeds)), "out": out, "envs": envs,
             "agents": seed_agents}
    for name, spec, note in ((f"{study}.yaml", lottery, notes[0]), (f"{study}_seeds.yaml", seeds, notes[1])):
        (HERE / name).write_text(header + note + yaml.safe_dump(spec, sort_keys=False, width=110))
