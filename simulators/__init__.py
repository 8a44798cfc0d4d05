"""Pure analytical models (systolic array, DRAM controller, heterogeneous SoC) and adapters for
real external simulators.  See :mod:`archgym.simulator` for the contract."""
