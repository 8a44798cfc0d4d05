"""Real, seeded training of one digits architecture (torch, CPU, one thread).

Why here and not only in the experiment script: the accuracy table shipped in
``data/codesign/digits_accuracy.csv`` is produced by :func:`train_architecture`, and the tests
retrain sampled entries with the very same function to check the table is what it claims.
torch is imported inside the functions: ``import archgym`` never loads it.

Protocol (``TRAINING_VERSION`` changes when any of it does): the 1,797 digits images scaled to
[0, 1], a stratified 70/30 train/test split with ``random_state=0``; ``torch.manual_seed(seed)``
before building the model; Adam (lr 3e-3), batch 32, ``EPOCHS`` epochs, the order of the batches
drawn from a ``torch.Generator`` seeded with ``seed``; test accuracy = correct / 540.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.simulators.codesign.digits_space import CLASSES, IMAGE, decode

TRAINING_VERSION = 1
SEED = 0
EPOCHS = 15
BATCH = 32
LR = 3e-3
TEST_FRACTION = 0.3
SPLIT_SEED = 0


@dataclass(frozen=True)
class TrainResult:
    correct: int  # test images classified correctly
    n_test: int
    final_loss: float  # mean training loss of the last epoch

    @property
    def accuracy(self) -> float:
        return 100.0 * self.correct / self.n_test


def split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fixed stratified split: ``X_train, X_test`` float32 (n, 1, 8, 8) in [0, 1], int64 labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32).reshape(-1, 1, IMAGE, IMAGE)
    Xtr, Xte, ytr, yte = train_test_split(X, y.astype(np.int64), test_size=TEST_FRACTION, stratify=y,
                                          random_state=SPLIT_SEED)
    return Xtr, Xte, ytr, yte


def build_model(knob_indices: tuple[int, ...]) -> Any:
    """The torch module of one architecture (see :mod:`archgym.simulators.codesign.digits_space`)."""
    from torch import nn

    a = decode(knob_indices)
    c1, k1, c2, k2, hidden = (int(a["conv1_channels"]), int(a["conv1_kernel"]), int(a["conv2_channels"]),
                              int(a["conv2_kernel"]), int(a["fc_hidden"]))
    mods: list[Any] = [nn.Conv2d(1, c1, k1, padding=k1 // 2), nn.ReLU()]
    side = IMAGE
    if a["pool"] == "max2x2":
        mods.append(nn.MaxPool2d(2))
        side //= 2
    mods += [nn.Conv2d(c1, c2, k2, padding=k2 // 2), nn.ReLU(), nn.Flatten()]
    flat = side * side * c2
    if hidden:
        mods += [nn.Linear(flat, hidden), nn.ReLU()]
        flat = hidden
    mods.append(nn.Linear(flat, CLASSES))
    return nn.Sequential(*mods)


def train_architecture(knob_indices: tuple[int, ...], seed: int = SEED, epochs: int = EPOCHS,
                       data: tuple[np.ndarray, ...] | None = None) -> TrainResult:
    """Train one architecture from scratch and return its test accuracy (deterministic on one CPU)."""
    import torch

    Xtr, Xte, ytr, yte = data if data is not None else split()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        model = build_model(knob_indices)
        opt = torch.optim.Adam(model.parameters(), lr=LR)
        loss_fn = torch.nn.CrossEntropyLoss()
        xtr, ytr_t = torch.from_numpy(Xtr), torch.from_numpy(ytr)
        gen = torch.Generator().manual_seed(seed)
        last = 0.0
        for _ in range(epochs):
            model.train()
            order = torch.randperm(len(xtr), generator=gen)
            total = 0.0
            for start in range(0, len(order), BATCH):
                idx = order[start:start + BATCH]
                opt.zero_grad()
                loss = loss_fn(model(xtr[idx]), ytr_t[idx])
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            last = total / len(xtr)
        model.eval()
        with torch.no_grad():
            pred = model(torch.from_numpy(Xte)).argmax(1).numpy()
        return TrainResult(int((pred == yte).sum()), len(yte), last)
    finally:
        torch.set_num_threads(threads)
