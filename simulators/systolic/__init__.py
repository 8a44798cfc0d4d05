"""Systolic-array DNN accelerator: SCALE-Sim's exact compute equations, a DRAM/stall model,
and a cited energy/area table.  ``SystolicSimulator`` is the model behind ``archgym/Systolic-v0``;
:func:`layer_cost` costs single layers for other models (the SoC's DNN sub-accelerators)."""

from archgym.simulators.systolic.compute import DATAFLOWS, compute
from archgym.simulators.systolic.model import METRICS, SPACE, SystolicSimulator
from archgym.simulators.systolic.tech import Technology
from archgym.simulators.systolic.topology import Layer, Network, TopologyError, load_network, parse_topology

__all__ = ["DATAFLOWS", "METRICS", "SPACE", "Layer", "Network", "SystolicSimulator", "Technology",
           "TopologyError", "compute", "load_network", "parse_topology"]
