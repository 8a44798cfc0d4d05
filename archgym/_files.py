"""Small shared helpers: atomic file writes and plain Python scalars.

Why here: datasets, proxies and sweep records all write files other processes read, and all must be
atomic (a reader never sees half a file, a killed writer leaves only a hidden ``.tmp``), durable
(fsync before the rename) and readable by the group when the umask says so (``mkstemp`` creates
files 0600, which breaks shared filesystems).  One definition keeps the three the same.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """A numpy scalar (or 0-d array) as the Python scalar it holds; anything else unchanged.

    Designs, metrics and ``info`` dicts hold plain scalars so they compare, hash and serialise to
    JSON the same way whichever code path produced them.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return value


def plain_dict(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in mapping.items()}


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux: /proc).

    ``os.umask`` can only be read by setting it, and for that instant every file another thread
    creates gets mode 0666; reading ``/proc/self/status`` has no such window.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o077)  # the fallback window makes files private rather than world-writable
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike[str], write: Callable[[str], None]) -> Path:
    """Write ``path`` atomically: ``write(tmp)`` fills a hidden temp file in the same directory,
    which is fsynced, given the umask's permissions, and renamed into place.

    On any error (or interruption) the temp file is removed and the old ``path``, if any, is intact.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """:func:`atomic_write` of a UTF-8 text file."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
