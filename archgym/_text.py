"""Reading untrusted workload files (traces, memspecs, topologies, task graphs) safely.

Why one module: every workload reader needs the same three guarantees — a size limit (a runaway
file is refused, naming the limit, instead of running for minutes), UTF-8 decoding whose error
names the file, line and column (never a raw ``UnicodeDecodeError``), and JSON parsing that
refuses numbers Python would turn into ``inf`` or that exceed its integer-string limit (never an
``OverflowError`` or a bare ``ValueError``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from archgym.errors import WorkloadError, WorkloadNotFoundError

#: Largest workload file (trace, memspec, topology, task graph) archgym reads.  Why a limit: files are
#: read whole and parsed in Python; 16 MiB parses in about a second, and a runaway 10^8-line file is
#: refused up front instead of running for minutes and gigabytes.
MAX_WORKLOAD_BYTES = 16 * 2**20


def read_text(path: str | os.PathLike[str], what: str, max_bytes: int = MAX_WORKLOAD_BYTES) -> str:
    """The UTF-8 text of a workload file, or a :class:`~archgym.errors.WorkloadError` naming the
    file and, for a byte that is not UTF-8, its line and column (never a ``UnicodeDecodeError``).

    Raises:
        WorkloadNotFoundError: no such file.
        WorkloadError: larger than ``max_bytes``, unreadable, or not UTF-8.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise WorkloadError(f"{path}: {what} file is {size:,} bytes; the limit is {max_bytes:,} bytes")
        data = path.read_bytes()
    except FileNotFoundError:
        raise WorkloadNotFoundError(f"{what} file {path} does not exist") from None
    except IsADirectoryError:
        raise WorkloadError(f"{path}: {what} file is a directory") from None
    except OSError as exc:
        raise WorkloadError(f"{path}: cannot read {what} file ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise WorkloadError(f"{path}, line {line}, column {col}: byte 0x{data[exc.start]:02x} is not UTF-8; "
                            f"{what} files must be UTF-8 text") from None


MAX_JSON_DIGITS = 100


class _BadNumber(ValueError):
    def __init__(self, token: str, problem: str):
        self.token = token
        super().__init__(problem)


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_JSON_DIGITS:
        raise _BadNumber(text, f"an integer of {len(text.lstrip('-'))} digits (the limit is {MAX_JSON_DIGITS})")
    return int(text)


def _json_float(text: str) -> float:
    if len(text) > MAX_JSON_DIGITS + 10:
        raise _BadNumber(text, f"a number of {len(text)} characters (the limit is {MAX_JSON_DIGITS + 10})")
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise _BadNumber(text, f"number {text} is too large for a float")
    return value


def _json_constant(text: str) -> float:
    raise _BadNumber(text, f"{text} is not a number (JSON has no NaN or Infinity)")


def load_json(text: str, where: str) -> Any:
    """Parse JSON from an untrusted workload file: line and column in every error, and numbers
    that would be infinite (``1e400``), ``NaN``/``Infinity`` and integers of more than 100 digits
    refused (as is nesting deep enough to exhaust the stack).

    Raises:
        WorkloadError: naming ``where`` and the line and column.
    """
    try:
        return json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        raise WorkloadError(f"{where}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})") from None
    except _BadNumber as exc:  # raised by the number hooks: the token's first occurrence says where
        at = text.find(exc.token)
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        raise WorkloadError(f"{where}, line {line}, column {col}: {exc}") from None
    except RecursionError:
        raise WorkloadError(f"{where}: JSON nested too deeply") from None


def json_object(raw: bytes | str, where: str, error: type[Exception]) -> dict[str, Any]:
    """The JSON object in a metadata entry of an untrusted file (Parquet metadata, a proxy's
    ``meta.json``); anything else raises ``error`` with ``where`` ("FILE: its metadata") first."""
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise error(f"{where} is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise error(f"{where} is a JSON {type(value).__name__}, not an object")
    return value


# ---- YAML ------------------------------------------------------------------------------------------

class YamlError(ValueError):
    """A YAML document archgym refuses; ``line`` (1-based, 0 when unknown) says where."""

    def __init__(self, problem: str, line: int = 0, column: int = 0):
        self.line, self.column = line, column
        super().__init__(problem)

    @property
    def where(self) -> str:
        """``line L, column C`` (or ``line L``, or ``""``)."""
        return (f"line {self.line}" + (f", column {self.column}" if self.column else "")) if self.line else ""


def _strict_loader() -> type:
    import yaml

    class StrictLoader(yaml.SafeLoader):
        """``yaml.SafeLoader`` (no Python objects, ever) that also refuses a key given twice in one
        mapping (YAML lets the last one silently win, so ``budget: 100`` then ``budget: 10`` would
        run the smaller sweep) and numbers of more than ``MAX_JSON_DIGITS`` characters (Python
        refuses to convert integers of more than 4,300 digits with a bare ``ValueError``)."""

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, tuple[int, int]] = {}
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    try:
                        hash(key)
                    except TypeError:
                        continue  # the base class reports an unhashable key
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key!r} (first given at line {seen[key][0]}, column "
                            f"{seen[key][1]})", key_node.start_mark)
                    seen[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            return super().construct_mapping(node, deep=deep)

        def _short_number(self, node: Any) -> None:
            if len(str(node.value)) > MAX_JSON_DIGITS:
                raise yaml.constructor.ConstructorError(
                    None, None, f"a number of {len(str(node.value))} characters (the limit is {MAX_JSON_DIGITS})",
                    node.start_mark)

        def construct_yaml_int(self, node: Any) -> Any:
            self._short_number(node)
            return super().construct_yaml_int(node)

        def construct_yaml_float(self, node: Any) -> Any:
            self._short_number(node)
            return super().construct_yaml_float(node)

    StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)
    StrictLoader.add_constructor("tag:yaml.org,2002:float", StrictLoader.construct_yaml_float)
    return StrictLoader


def load_yaml(text: str) -> Any:
    """Parse an untrusted YAML document safely (see ``StrictLoader``).

    Raises:
        YamlError: a syntax error, a duplicate key, an over-long number or nesting deep enough to
            exhaust the stack, with the line where known.
    """
    import yaml

    try:
        return yaml.load(text, Loader=_strict_loader())  # noqa: S506  (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlError(f"invalid YAML ({getattr(exc, 'problem', None) or exc})",
                        mark.line + 1 if mark is not None else 0, mark.column + 1 if mark is not None else 0) from None
    except RecursionError:
        raise YamlError("YAML nested too deeply") from None
