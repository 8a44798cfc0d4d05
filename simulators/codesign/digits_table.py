"""The digits accuracy table file: one CSV row per architecture, provenance in a comment header.

Why CSV: small (216 rows), diff-able, readable without code execution.  The file is written by
``experiments/codesign/train_digits.py`` (after every architecture, atomically, so the run can
resume) and read by :func:`read_table`, which checks every field and names file and line on error.

Format::

    # archgym codesign digits accuracy table
    # training_version=1 seed=0 epochs=15 ...
    conv1_channels,conv1_kernel,pool,conv2_channels,conv2_kernel,fc_hidden,test_correct,n_test,accuracy
    8,3,none,16,1,0,518,540,95.925926
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from archgym.errors import DatasetError
from archgym.simulators.codesign.digits_space import KNOBS

TITLE = "# archgym codesign digits accuracy table"
RESULT_COLUMNS = ("test_correct", "n_test", "accuracy")
COLUMNS = tuple(k.name for k in KNOBS) + RESULT_COLUMNS
RADIX = tuple(k.n for k in KNOBS)
N_ARCHS = int(np.prod(RADIX))


def format_table(meta: dict[str, str], results: dict[int, tuple[int, int]]) -> str:
    """The file text for ``results`` (arch number -> (correct, n_test)), rows in arch order."""
    lines = [TITLE, "# " + " ".join(f"{k}={v}" for k, v in meta.items()), ",".join(COLUMNS)]
    for arch in sorted(results):
        correct, n = results[arch]
        idx = np.unravel_index(arch, RADIX)
        values = [str(k.choices[int(i)]) for k, i in zip(KNOBS, idx, strict=True)]
        lines.append(",".join(values + [str(correct), str(n), f"{100.0 * correct / n:.6f}"]))
    return "\n".join(lines) + "\n"


def read_table(path: str | Path, text: str | None = None,
               complete: bool = True) -> tuple[dict[str, str], dict[int, tuple[int, int]]]:
    """Parse a table: ``(meta, {arch number: (correct, n_test)})``.

    ``complete`` requires every architecture exactly once (the shipped table); the training
    script reads its partial file with ``complete=False``.
    """
    name = str(path)
    text = Path(path).read_text(encoding="utf-8") if text is None else text
    lines = text.splitlines()
    if len(lines) < 3 or lines[0] != TITLE:
        raise DatasetError(f"{name}, line 1: expected the title line {TITLE!r}")
    if not lines[1].startswith("# "):
        raise DatasetError(f"{name}, line 2: expected '# key=value ...' provenance")
    meta = {}
    for item in lines[1][2:].split():
        key, sep, value = item.partition("=")
        if not sep:
            raise DatasetError(f"{name}, line 2: provenance item {item!r} is not key=value")
        meta[key] = value
    if tuple(c.strip() for c in lines[2].split(",")) != COLUMNS:
        raise DatasetError(f"{name}, line 3: expected columns {','.join(COLUMNS)}")
    results: dict[int, tuple[int, int]] = {}
    for lineno, row in enumerate(csv.reader(lines[3:]), start=4):
        if not row:
            continue
        if len(row) != len(COLUMNS):
            raise DatasetError(f"{name}, line {lineno}: expected {len(COLUMNS)} fields, got {len(row)}")
        idx = []
        for knob, field in zip(KNOBS, row, strict=False):
            match = [i for i, c in enumerate(knob.choices) if str(c) == field.strip()]
            if not match:
                raise DatasetError(f"{name}, line {lineno}: {knob.name} {field.strip()!r} is not "
                                   f"{knob.allowed()}")
            idx.append(match[0])
        try:
            correct, n = int(row[-3]), int(row[-2])
            acc = float(row[-1])
        except ValueError:
            raise DatasetError(f"{name}, line {lineno}: test_correct, n_test must be integers and "
                               "accuracy a number") from None
        if not 0 <= correct <= n or n < 1:
            raise DatasetError(f"{name}, line {lineno}: need 0 <= test_correct <= n_test, n_test >= 1")
        if abs(acc - 100.0 * correct / n) > 1e-5:
            raise DatasetError(f"{name}, line {lineno}: accuracy {acc} is not 100*{correct}/{n}")
        arch = int(np.ravel_multi_index(tuple(idx), RADIX))
        if arch in results:
            raise DatasetError(f"{name}, line {lineno}: architecture {row[:len(KNOBS)]} appears twice")
        results[arch] = (correct, n)
    if complete and len(results) != N_ARCHS:
        raise DatasetError(f"{name}: has {len(results)} architectures, expected all {N_ARCHS}")
    return meta, results
