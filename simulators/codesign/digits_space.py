"""The digits task's search space: a small CNN family for scikit-learn's 8x8 digits, and its layers.

Why our own space: NASAIC co-searches several networks for different tasks; no second tabular
benchmark installs offline, and scikit-learn's digits (1,797 images, 10 classes) is small enough
that *every* member of a few-hundred-architecture space can really be trained (see
``experiments/codesign/train_digits.py``).  The family::

    conv1 (k1 x k1, 1 -> c1, 'same' padding) - ReLU - [2x2 max pool]
    conv2 (k2 x k2, c1 -> c2, 'same' padding) - ReLU - flatten
    [FC -> hidden - ReLU] - FC -> 10

Pooling, ReLU and flatten cost no multiply-accumulates on a systolic array (they run on the
vector/pooling unit beside it), so :func:`digits_layers` lists only the convolutions and the
fully connected layers.  Convolutions are written in SCALE-Sim's convention: the IFMAP size
includes the padding (``8 + 2*(k//2)``), so ``P`` equals the 'same' output size.
"""

from __future__ import annotations

from archgym.parameters import Categorical
from archgym.simulators.systolic.topology import Layer

IMAGE = 8  # digits images are 8x8, one channel
CLASSES = 10

KNOBS: tuple[Categorical, ...] = (
    Categorical("conv1_channels", choices=(8, 16, 32), doc="output channels of the first convolution"),
    Categorical("conv1_kernel", choices=(3, 5), doc="kernel size of the first convolution"),
    Categorical("pool", choices=("none", "max2x2"), doc="2x2 max pooling after the first convolution"),
    Categorical("conv2_channels", choices=(16, 32, 64), doc="output channels of the second convolution"),
    Categorical("conv2_kernel", choices=(1, 3), doc="kernel size of the second convolution"),
    Categorical("fc_hidden", choices=(0, 32, 64), doc="hidden fully connected width (0: none)"),
)


def decode(knob_indices: tuple[int, ...]) -> dict[str, int | str]:
    """Knob indices -> ``{knob name: value}`` (plain Python values)."""
    return {k.name: k.choices[i] for k, i in zip(KNOBS, knob_indices, strict=True)}


def digits_layers(knob_indices: tuple[int, ...]) -> tuple[Layer, ...]:
    """The layers one architecture runs on the array, in execution order."""
    a = decode(knob_indices)
    c1, k1, c2, k2, hidden = (int(a["conv1_channels"]), int(a["conv1_kernel"]), int(a["conv2_channels"]),
                              int(a["conv2_kernel"]), int(a["fc_hidden"]))
    side = IMAGE // 2 if a["pool"] == "max2x2" else IMAGE
    layers = [
        Layer.conv("conv1", IMAGE + 2 * (k1 // 2), IMAGE + 2 * (k1 // 2), k1, k1, 1, c1, 1),
        Layer.conv("conv2", side + 2 * (k2 // 2), side + 2 * (k2 // 2), k2, k2, c1, c2, 1),
    ]
    flat = side * side * c2
    if hidden:
        layers.append(Layer.gemm("fc_hidden", 1, hidden, flat))
        flat = hidden
    layers.append(Layer.gemm("fc_out", 1, CLASSES, flat))
    return tuple(layers)
