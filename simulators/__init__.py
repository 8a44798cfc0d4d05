"""Pure analytical models (systolic array, DRAM controller, heterogeneous SoC) and adapters for
real external simulators.  See :mod:`archgym.simulators.base` for the contract."""
