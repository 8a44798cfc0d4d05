"""The digits task: our CNN family on scikit-learn's digits, with its really-trained accuracy table.

The table (``data/codesign/digits_accuracy.csv``, 216 rows) is written by
``experiments/codesign/train_digits.py`` with :func:`~archgym.simulators.codesign.digits_train.train_architecture`
and read here without torch.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from archgym.simulators.codesign.digits_space import CLASSES, IMAGE, KNOBS, digits_layers
from archgym.simulators.codesign.digits_table import N_ARCHS, read_table
from archgym.simulators.codesign.task import Task

TABLE = "codesign/digits_accuracy.csv"


def load_digits_task() -> Task:
    text = resources.files("archgym.data").joinpath(TABLE).read_text(encoding="utf-8")
    meta, results = read_table(TABLE, text)
    table = np.array([100.0 * results[a][0] / results[a][1] for a in range(N_ARCHS)], dtype=np.float64)[:, None]
    source = f"{TABLE} ({' '.join(f'{k}={v}' for k, v in meta.items())})"
    return Task(name="digits", dataset="scikit-learn digits (8x8)", knobs=KNOBS, accuracy_metrics=("accuracy",),
                accuracy_table=table, input_shape=(IMAGE, IMAGE, 1), build_layers=digits_layers,
                num_classes=CLASSES, source=source)
