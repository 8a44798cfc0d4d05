"""Regenerate the default DRAM traces in ``data/dram/traces`` from their recorded generator seeds."""

from __future__ import annotations

from pathlib import Path

from archgym.simulators.dram.trace import DEFAULT_TRACE_SPECS, default_trace_text

OUT = Path(__file__).resolve().parents[2] / "data" / "dram" / "traces"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in DEFAULT_TRACE_SPECS:
        (OUT / f"{name}.stl").write_text(default_trace_text(name))
        print(f"wrote {OUT / f'{name}.stl'}")


if __name__ == "__main__":
    main()
