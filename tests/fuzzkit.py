"""Shared pieces of the property-based fuzz suite (``tests/test_fuzz_*.py``).

Every generated case ends in one of two ways: an :class:`~archgym.errors.ArchGymError` whose
message names the bad field (or the file), or a correct result.  Anything else — a raw exception,
a non-finite metric on a feasible design, a case slower than ``CASE_SECONDS`` — fails the test.

Counts per category and outcome are kept in :data:`COUNTS` and printed at the end of the session
(``tests/conftest.py``), so CI logs say how many cases ran.  With ``ARCHGYM_FUZZ_TALLY=1`` a raw
exception is counted (category ``…/raw``) and printed instead of failing, to measure how many
cases an older version of archgym mishandles.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings

from archgym.errors import ArchGymError

#: (category, outcome) -> cases
COUNTS: Counter[tuple[str, str]] = Counter()
#: (category, exception type, message) of raw exceptions seen in tally mode
RAW: list[tuple[str, str, str]] = []
#: (category, what, detail) of accepted-but-questionable cases, printed in the summary (not failures)
NOTES: list[tuple[str, str, str]] = []
TALLY = os.environ.get("ARCHGYM_FUZZ_TALLY") == "1"
CASE_SECONDS = 5.0


def fuzz_settings(max_examples: int) -> settings:
    """Reproducible in CI (derandomized, no example database), explicit size, no wall-clock deadline
    (a loaded CI machine must not make a case flaky; :func:`outcome` checks ``CASE_SECONDS``)."""
    return settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
                    print_blob=True)


def outcome(category: str, fn: Callable[[], Any], names: Iterable[str] = ()) -> Any:
    """Run one case: returns ``fn()``'s result, or ``None`` after an :class:`ArchGymError` whose
    message contains at least one of ``names`` (when any are given).  Raw exceptions fail."""
    names = [str(n) for n in names if str(n)]
    t0 = time.perf_counter()
    try:
        result = fn()
    except ArchGymError as exc:
        took = time.perf_counter() - t0
        assert took < CASE_SECONDS, f"{category}: error after {took:.1f} s (limit {CASE_SECONDS} s)"
        msg = str(exc)
        assert msg.strip(), f"{category}: {type(exc).__name__} with an empty message"
        if names and not any(n in msg for n in names):
            if not TALLY:
                raise AssertionError(f"{category}: error {msg!r} names none of {names}") from exc
            COUNTS[(category, "unnamed")] += 1
            RAW.append((category, "unnamed " + type(exc).__name__, msg[:200]))
            return None
        COUNTS[(category, "error")] += 1
        return None
    except Exception as exc:
        if not TALLY:
            raise
        COUNTS[(category, "raw")] += 1
        RAW.append((category, type(exc).__name__, str(exc)[:200]))
        return None
    took = time.perf_counter() - t0
    assert took < CASE_SECONDS, f"{category}: took {took:.1f} s (limit {CASE_SECONDS} s)"
    COUNTS[(category, "ok")] += 1
    return result


def check_result(result: Mapping[str, Any], metric_names: Iterable[str]) -> None:
    """A simulator result is sane: a feasible design has only finite metrics."""
    feasible = np.asarray(result["feasible"], dtype=bool)
    for m in metric_names:
        v = np.asarray(result[m], dtype=float)
        bad = feasible & ~np.isfinite(v)
        assert not bad.any(), f"metric {m} is {v[bad][0]} on a design marked feasible"


def summary() -> list[str]:
    """Lines for the end-of-session report."""
    if not COUNTS:
        return []
    cats = sorted({c for c, _ in COUNTS})
    lines = [f"{'category':<28} {'cases':>6} {'ok':>6} {'error':>6} {'raw':>5}" + ("  unnamed" if TALLY else "")]
    for c in cats:
        ok, err, raw, un = (COUNTS[(c, k)] for k in ("ok", "error", "raw", "unnamed"))
        lines.append(f"{c:<28} {ok + err + raw + un:>6} {ok:>6} {err:>6} {raw:>5}" + (f"  {un:>7}" if TALLY else ""))
    total = sum(COUNTS.values())
    lines.append(f"{'total':<28} {total:>6} {sum(v for (c, k), v in COUNTS.items() if k == 'ok'):>6} "
                 f"{sum(v for (c, k), v in COUNTS.items() if k == 'error'):>6} "
                 f"{sum(v for (c, k), v in COUNTS.items() if k == 'raw'):>5}")
    if NOTES:
        seen = Counter(NOTES)
        lines.append(f"notes ({len(NOTES)} cases, {len(seen)} distinct):")
        lines += [f"  {n:>4} x {c}: {t}: {m}" for (c, t, m), n in seen.most_common(20)]
    if RAW:
        seen = Counter((c, t, m) for c, t, m in RAW)
        lines.append(f"raw exceptions ({len(RAW)} cases, {len(seen)} distinct):")
        lines += [f"  {n:>4} x {c}: {t}: {m}" for (c, t, m), n in seen.most_common(40)]
    return lines
