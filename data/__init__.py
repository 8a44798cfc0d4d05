"""Workloads and small reference data shipped with archgym (traces, layer tables, task graphs)."""
