"""Tabulate CACTI for the memories FARSI sizes, so the SoC model needs no CACTI at run time.

FARSI corrects memory area and energy with CACTI (``design.py``, ``run_and_collect_cacti_data``):
a memory holding B bytes is costed as ``max(B, 2048)`` rounded up to a multiple of 256,000 bytes,
SRAM as CACTI ``"ram"`` with ``itrs-lop`` cells and DRAM as ``"main memory"`` with ``comm-dram``
cells, from FARSI's ``farsi_gen.cfg``.  This script runs the CACTI that
``experiments/soc/install_farsi.sh`` built on every such size up to ``--max-units`` × 256,000 B and
writes CACTI's raw outputs (SRAM on a sparser grid above --sram-dense units; the committed table is dense to 64 units) (read/write energy per access in nJ, area in mm²) to
``data/soc/farsi_cacti.csv``; :mod:`archgym.simulators.soc.farsi_model` applies FARSI's /16 B per
access and ArchGym's technology scaling.

    python experiments/soc/cacti_table.py --farsi ../farsi/src/Project_FARSI [--max-units 256]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import tempfile
from pathlib import Path

UNIT_B = 256_000
KINDS = {"sram": ("ram", "itrs-lop"), "dram": ("main memory", "comm-dram")}
FIELDS = ("Dynamic read energy (nJ)", "Dynamic write energy (nJ)", "Area (mm2)")


def run_cacti(cacti_dir: Path, kind: str, size_B: int, tmp: Path) -> tuple[float, float, float]:
    cache_type, cell = KINDS[kind]
    cfg = tmp / f"{kind}_{size_B}.cfg"
    cfg.write_text((cacti_dir / "farsi_gen.cfg").read_text() + f"-size (bytes) {size_B}\n"
                   f'-cache type "{cache_type}"\n-Data array cell type - "{cell}"\n')
    # CACTI writes <cfg>.out and then often segfaults while freeing; FARSI ignores its exit code too
    subprocess.run([str(cacti_dir / "cacti"), "-infile", str(cfg)], cwd=cacti_dir, capture_output=True,
                   timeout=600, check=False)
    out = Path(str(cfg) + ".out")
    rows = list(csv.reader(out.read_text().splitlines()))
    header = [h.strip() for h in rows[0]]
    values = [v.strip() for v in rows[-1]]
    return tuple(float(values[header.index(f)]) for f in FIELDS)  # type: ignore[return-value]


def _write(path: str, rows: dict[tuple[str, int], list[str]]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["mem_subtype", "mem_bytes", "read_energy_nJ", "write_energy_nJ", "area_mm2"])
        for key in sorted(rows):
            w.writerow(rows[key])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--farsi", required=True, help="the Project_FARSI folder (with cacti_for_FARSI/cacti built)")
    ap.add_argument("--max-units", type=int, default=256, help="largest size, in units of 256,000 B")
    ap.add_argument("--sram-dense", type=int, default=24,
                    help="SRAM sizes every unit up to this many units, then every --sram-step units "
                         "(SRAM runs take 5-20 s each; the model interpolates between them)")
    ap.add_argument("--sram-step", type=int, default=8)
    ap.add_argument("--kinds", default="sram,dram", help="comma-separated memory kinds to tabulate")
    ap.add_argument("--units", default="", help="comma-separated sizes (in 256,000 B units) instead of the grid")
    ap.add_argument("--resume", action="store_true", help="keep the rows already in --out, add the missing ones")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "data" / "soc" / "farsi_cacti.csv"))
    args = ap.parse_args()
    cacti_dir = Path(args.farsi) / "cacti_for_FARSI"
    done: dict[tuple[str, int], list[str]] = {}
    if args.resume and Path(args.out).is_file():
        for r in list(csv.reader(Path(args.out).read_text().splitlines()))[1:]:
            done[(r[0], int(r[1]))] = r
    dense = list(range(1, args.max_units + 1))
    sparse = sorted(set(range(1, args.sram_dense + 1)) | set(range(args.sram_dense, args.max_units + 1,
                                                                   args.sram_step)) | {args.max_units})
    if args.units:
        dense = sparse = [int(u) for u in args.units.split(",")]
    with tempfile.TemporaryDirectory() as t:
        for kind in args.kinds.split(","):
            for k in (sparse if kind == "sram" else dense):
                if (kind, k * UNIT_B) not in done:
                    done[(kind, k * UNIT_B)] = [kind, str(k * UNIT_B),
                                                *map(str, run_cacti(cacti_dir, kind, k * UNIT_B, Path(t)))]
                    _write(args.out, done)
    _write(args.out, done)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
