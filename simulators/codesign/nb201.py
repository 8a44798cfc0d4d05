"""The CIFAR-10 task: NAS-Bench-201 cells, their measured accuracies, and the layers each runs.

Knobs: one per cell edge, in NASLib's ``EDGE_LIST`` order ``(1,2), (1,3), (1,4), (2,3), (2,4),
(3,4)`` (node 1 is the cell input, node 4 its output), each choosing an op in NASLib's index
order ``skip_connect, none, nor_conv_3x3, nor_conv_1x1, avg_pool_3x3`` — the order of the
accuracy data's keys (see :mod:`archgym.simulators.codesign.nb201_data`).

Layers follow NAS-Bench-201's macro skeleton (NASLib ``NasBench201SearchSpace``): a 3x3 stem
conv 3->16 (+BN) on 32x32; three stages of five cells at 16ch/32x32, 32ch/16x16, 64ch/8x8; between
stages a residual reduction block (ReLU-conv3x3 stride 2 C->2C -BN, ReLU-conv3x3 2C->2C -BN,
shortcut 2x2 avg-pool then 1x1 conv C->2C); BN-ReLU, global average pool, FC 64->10.

How non-MAC work is treated (what the systolic array runs is GEMMs only):

* ``nor_conv_kxk`` is ReLU-Conv-BN: the conv is one array layer; ReLU runs on the operands on
  the way in and BN folds into the conv's weights and bias at inference — no extra layer.
* ``skip_connect``, ``avg_pool_3x3``, the reduction's 2x2 avg-pool, the node sums and the global
  pool are element-wise/vector work: zero MACs on the array, so no layer.
* Only *live* edges run: a non-``none`` edge on a path of non-``none`` edges from node 1 to node 4.
  An edge whose result never reaches the output is dead code; one fed only by zero nodes outputs
  a constant (BN's shift) that a compiler folds.  A cell with no live path contributes nothing,
  and its network is at chance accuracy (the test holds both facts together).
* Convolutions use SCALE-Sim's convention of padded IFMAP sizes: a 3x3 'same' conv on HxH is
  ``Layer.conv(H+2, H+2, 3, 3, ...)``; the 3x3 stride-2 conv uses ``H+1`` (the rows its windows
  touch: SCALE-Sim's ``ceil`` output size would otherwise count ``H/2 + 1`` rows).
"""

from __future__ import annotations

from archgym.parameters import Categorical
from archgym.simulators.codesign.nb201_data import METRICS, load_table
from archgym.simulators.codesign.task import Task
from archgym.simulators.systolic.topology import Layer

OPS: tuple[str, ...] = ("skip_connect", "none", "nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3")
EDGES: tuple[tuple[int, int], ...] = ((1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4))
NONE = OPS.index("none")
KNOBS: tuple[Categorical, ...] = tuple(
    Categorical(f"edge_{i}_{j}", choices=OPS, doc=f"operation on the cell edge from node {i} to node {j}")
    for i, j in EDGES
)
STAGES: tuple[tuple[int, int], ...] = ((16, 32), (32, 16), (64, 8))  # (channels, side)
CELLS_PER_STAGE = 5
CLASSES = 10


def live_edges(ops: tuple[int, ...]) -> tuple[int, ...]:
    """Positions (in ``EDGES`` order) of the edges on an input-to-output path of non-``none`` edges."""
    real = [e for e, op in enumerate(ops) if op != NONE]
    reach = {1}  # nodes reachable from the input
    for e in sorted(real, key=lambda e: EDGES[e][1]):
        if EDGES[e][0] in reach:
            reach.add(EDGES[e][1])
    coreach = {4}  # nodes that reach the output
    for e in sorted(real, key=lambda e: -EDGES[e][0]):
        if EDGES[e][1] in coreach:
            coreach.add(EDGES[e][0])
    return tuple(e for e in real if EDGES[e][0] in reach and EDGES[e][1] in coreach)


def connected(ops: tuple[int, ...]) -> bool:
    """Whether the cell's output depends on its input."""
    return bool(live_edges(ops))


def _cell(prefix: str, ops: tuple[int, ...], C: int, side: int) -> list[Layer]:
    layers = []
    for e in sorted(live_edges(ops), key=lambda e: (EDGES[e][1], EDGES[e][0])):  # execution order
        i, j = EDGES[e]
        if OPS[ops[e]] == "nor_conv_3x3":
            layers.append(Layer.conv(f"{prefix}_e{i}{j}_conv3x3", side + 2, side + 2, 3, 3, C, C, 1))
        elif OPS[ops[e]] == "nor_conv_1x1":
            layers.append(Layer.conv(f"{prefix}_e{i}{j}_conv1x1", side, side, 1, 1, C, C, 1))
    return layers


def _reduction(prefix: str, C: int, side: int) -> list[Layer]:
    half = side // 2
    return [
        Layer.conv(f"{prefix}_conv_a", side + 1, side + 1, 3, 3, C, 2 * C, 2),
        Layer.conv(f"{prefix}_conv_b", half + 2, half + 2, 3, 3, 2 * C, 2 * C, 1),
        Layer.conv(f"{prefix}_shortcut", half, half, 1, 1, C, 2 * C, 1),
    ]


def nb201_layers(ops: tuple[int, ...]) -> tuple[Layer, ...]:
    """All array layers of the network whose cells are ``ops`` (op indices in ``EDGES`` order)."""
    layers = [Layer.conv("stem", 34, 34, 3, 3, 3, STAGES[0][0], 1)]
    for s, (C, side) in enumerate(STAGES):
        if s:
            layers += _reduction(f"reduce{s}", STAGES[s - 1][0], STAGES[s - 1][1])
        for c in range(CELLS_PER_STAGE):
            layers += _cell(f"stage{s + 1}_cell{c + 1}", ops, C, side)
    layers.append(Layer.gemm("fc", 1, CLASSES, STAGES[-1][0]))
    return tuple(layers)


def load_cifar10() -> Task:
    table, source = load_table()
    return Task(name="cifar10", dataset="CIFAR-10", knobs=KNOBS, accuracy_metrics=METRICS,
                accuracy_table=table, input_shape=(32, 32, 3), build_layers=nb201_layers,
                num_classes=CLASSES, source=source)
