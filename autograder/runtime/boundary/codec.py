"""Plain data across the boundary: a JSON header and a list of binary buffers, and back.

Both sides of the boundary use this module: the grading side (trusted, runs the teacher's
tests) and the student's kernel (runs the student's code). The kernel cannot import this
package, so it receives this file's source (see boundary/__init__.py, `kernel_program`):
it must need nothing but the standard library and numpy, and import nothing of ours.

What is plain data is decided by exact type (`type(x) is int`, never isinstance): a
subclass of int, list, dict or ndarray can carry its own `__eq__`, `__bool__` or
`__array__`, so it is no longer a number, a list or an array but an object with
behaviour. Such an object is not encoded as data: with a `handle_for` function (the
owning side's handle table) it becomes a handle, a reference the other side can only
pass back or use for remote calls; without one it is refused. numpy scalars are encoded
as their Python value: their types are numpy's own and cannot be subclassed by a value
that reaches here as one of them (exact type again).

Decoding is where the trusted side's safety lies, since the student's side can write any
bytes it likes: the decoder builds only builtins (None, bool, int, float, complex, str,
bytes, list, tuple, dict, slice) and fresh ndarrays (`np.frombuffer(...).reshape(...)
.copy()` with a dtype from a fixed list), checks every field of the header and every
bound, calls nothing named by the message, and raises BoundaryError for anything
malformed, never another exception type.

The header is JSON: null, true/false, numbers and strings stand for themselves, a JSON
array is a list, and a JSON object is a tagged node:

    {"t": "tuple", "v": [...]}            {"t": "dict", "k": [str...], "v": [...]}
    {"t": "complex", "v": [re, im]}       {"t": "slice", "v": [start, stop, step]}
    {"t": "bytes", "b": index}            {"t": "array", "b": index, "dtype": "<f8", "shape": [...]}
    {"t": "handle", "id": int, "type": "informational type name (the owner's text)",
     "back": false for an object of the sender's, true for the receiver's own sent back}

Buffers hold the bytes of `bytes` values and arrays, each used exactly once. Shared
references and cycles are not preserved: a value reachable twice is encoded twice, and a
cycle hits the depth bound.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

MAX_DEPTH = 64
"""Containers nested in containers, the outermost counting as 1."""
MAX_ITEMS = 1_000_000
"""Values in one message, containers and scalars alike (an array counts once)."""
MAX_STRING_CHARS = 8 * 2**20
"""Characters of one string."""
MAX_TOTAL_BYTES = 256 * 2**20
"""Bytes of all strings (one per character), bytes values and array data in one message."""
MAX_HEADER_BYTES = 64 * 2**20
"""Size of the JSON header."""
MAX_BUFFERS = 100_000
"""Binary buffers (bytes values and arrays) in one message."""
MAX_INT_BITS = 4096
"""Size of an int (JSON numbers of more digits than this are not read)."""
MAX_NDIM = 32
"""Dimensions of an array."""
MAX_TYPE_NAME_CHARS = 200
"""Length of a handle's type name, text the handle's owner chose."""

_KINDS = {"b": (1,), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (2, 4, 8), "c": (8, 16)}
DTYPES = frozenset(
    f"{order}{kind}{size}"
    for kind, sizes in _KINDS.items()
    for size in sizes
    for order in (("|",) if size == 1 else ("<", ">"))
)
"""The dtypes an array may have, as numpy spells `dtype.str`: booleans, integers, floats
and complex numbers of fixed sizes in either byte order. Never object (references to
objects), void or structured (fields), datetime, strings, or long double (its size and
layout depend on the platform)."""
_DTYPE_OF = {name: np.dtype(name) for name in DTYPES}

_NUMPY_SCALARS = frozenset(
    kind for kind in set(np.sctypeDict.values()) if np.dtype(kind).str in DTYPES
)
"""numpy scalar types of those dtypes (np.longlong as well as np.int64, which numpy keeps
apart), which encode as their Python value (`.item()`)."""

MAX_TEXT_ITEM_CHARS = 4096
"""Characters (or bytes) of one item of a text array (numpy's "<U7", "|S5")."""
_TEXT_DTYPE = re.compile(r"(?:[<>]U|\|S)([1-9][0-9]{0,3})")
_KEY_TYPES = (str, int, float, bool, bytes, complex, type(None))
_OBJECT_ITEMS = frozenset({str, int, float, bool, type(None)})
"""What an object array's items may be for it to cross as data: scikit-learn's labels and
predictions for text classes are such arrays."""


def _is_dtype(name: str) -> bool:
    """A dtype an array may cross with: DTYPES, or fixed-width text of at most
    MAX_TEXT_ITEM_CHARS per item (class labels, names), which holds characters only."""
    if name in DTYPES:
        return True
    match = _TEXT_DTYPE.fullmatch(name)
    return match is not None and int(match.group(1)) <= MAX_TEXT_ITEM_CHARS


def _is_key(key: object, depth: int) -> bool:
    """A dict key that is plain data and hashes as a builtin does: a str, a number, bytes,
    None, or a tuple of such keys (exact types: a subclass could choose its own hash)."""
    if type(key) in _KEY_TYPES:
        return True
    if type(key) is tuple and depth < MAX_DEPTH:
        return all(_is_key(item, depth + 1) for item in key)  # type: ignore[attr-defined]
    return False


Buffer = bytes | bytearray | memoryview
HandleFor = Callable[[object], tuple[int, str, bool] | None]
"""For an object that is not plain data: its handle's (id, type name, back), back being
False for a new handle to an object of the sender's (from its table) and True for a
handle the receiver gave out, sent back; or None to refuse it."""
Resolve = Callable[[int, str, bool], object]
"""Decoding: a handle's (id, type name, back) -> the object it stands for on this side."""
_NODE_KEYS: dict[str, frozenset[str]] = {
    "tuple": frozenset({"t", "v"}),
    "dict": frozenset({"t", "k", "v"}),
    "complex": frozenset({"t", "v"}),
    "slice": frozenset({"t", "v"}),
    "bytes": frozenset({"t", "b"}),
    "array": frozenset({"t", "b", "dtype", "shape"}),
    "handle": frozenset({"t", "id", "type", "back"}),
    "frame": frozenset({"t", "columns", "v", "index"}),
    "set": frozenset({"t", "v"}),
    "objects": frozenset({"t", "v", "shape"}),
    "frozenset": frozenset({"t", "v"}),
    "series": frozenset({"t", "name", "v", "index"}),
}


class BoundaryError(Exception):
    """A value that cannot cross the boundary, or a message that is not a valid one."""


class _Budget:
    """What one message has used of its bounds, counted as it is encoded or decoded (the
    counts are kept inline in the hot paths: a small call's cost is mostly this walk)."""

    __slots__ = ("items", "total_bytes")

    def __init__(self) -> None:
        self.items = 0
        self.total_bytes = 0

    def too_many(self) -> BoundaryError:
        return BoundaryError(f"more than MAX_ITEMS = {MAX_ITEMS} values in one message")

    def spend(self, size: int, what: str) -> None:
        self.total_bytes += size
        if self.total_bytes > MAX_TOTAL_BYTES:
            raise BoundaryError(
                f"more than MAX_TOTAL_BYTES = {MAX_TOTAL_BYTES} bytes of strings, bytes and "
                f"arrays in one message (at a {what})"
            )

    def keys(self, keys: list[str]) -> None:
        if keys:
            lengths = list(map(len, keys))
            if max(lengths) > MAX_STRING_CHARS:
                self.string(keys[lengths.index(max(lengths))])
            self.spend(sum(lengths), "dict key")

    def string(self, text: str) -> None:
        if len(text) > MAX_STRING_CHARS:
            raise BoundaryError(
                f"a string of {len(text)} characters, over MAX_STRING_CHARS = {MAX_STRING_CHARS}"
            )
        self.spend(len(text), "string")


def _check_depth(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise BoundaryError(
            f"data nested deeper than MAX_DEPTH = {MAX_DEPTH} (or a container that contains itself)"
        )


def _check_int(number: int) -> None:
    if number.bit_length() > MAX_INT_BITS:
        raise BoundaryError(f"an int of over MAX_INT_BITS = {MAX_INT_BITS} bits")


_JSON = json.JSONEncoder(separators=(",", ":"))
"""One encoder for all headers (json.dumps with arguments makes a new one per call)."""


# --- Encoding ------------------------------------------------------------------------------


class _Encoder:
    __slots__ = ("budget", "buffers", "handle_for")

    def __init__(self, handle_for: HandleFor | None) -> None:
        self.budget = _Budget()
        self.buffers: list[Buffer] = []
        self.handle_for = handle_for

    def buffer(self, data: Buffer) -> int:
        if len(self.buffers) >= MAX_BUFFERS:
            raise BoundaryError(f"more than MAX_BUFFERS = {MAX_BUFFERS} bytes values and arrays")
        self.buffers.append(data)
        return len(self.buffers) - 1

    def value(self, value: object, depth: int) -> Any:
        budget = self.budget
        budget.items += 1
        if budget.items > MAX_ITEMS:
            raise budget.too_many()
        kind = type(value)
        if value is None or kind is bool or kind is float:
            return value
        if kind is int:
            if value.bit_length() > 62:  # type: ignore[attr-defined]
                _check_int(value)  # type: ignore[arg-type]
            return value
        if kind is str:
            budget.total_bytes += len(value)  # type: ignore[arg-type]
            if len(value) > MAX_STRING_CHARS or budget.total_bytes > MAX_TOTAL_BYTES:  # type: ignore[arg-type]
                budget.total_bytes -= len(value)  # type: ignore[arg-type]
                budget.string(value)  # type: ignore[arg-type]
            return value
        if kind is list or kind is tuple:
            _check_depth(depth + 1)
            items = [self.value(item, depth + 1) for item in value]  # type: ignore[attr-defined]
            return items if kind is list else {"t": "tuple", "v": items}
        if kind is dict:
            return self.mapping(value, depth)  # type: ignore[arg-type]
        if kind is set or kind is frozenset:
            if not all(_is_key(item, depth + 1) for item in value):  # type: ignore[attr-defined]
                return self.handle(value, f"a {kind.__name__} of items that are not keys")
            _check_depth(depth + 1)
            items = [self.value(item, depth + 1) for item in value]  # type: ignore[attr-defined]
            return {"t": kind.__name__, "v": items}
        if kind is np.ndarray:
            return self.array(value)  # type: ignore[arg-type]
        if kind in _NUMPY_SCALARS:
            self.budget.items -= 1  # counted again as its Python value
            return self.value(value.item(), depth)  # type: ignore[attr-defined]
        if kind is complex:
            return {"t": "complex", "v": [value.real, value.imag]}  # type: ignore[attr-defined]
        if kind is bytes:
            size = len(value)  # type: ignore[arg-type]
            self.budget.spend(size, "bytes value")
            return {"t": "bytes", "b": self.buffer(value)}  # type: ignore[arg-type]
        pandas = sys.modules.get("pandas")
        if pandas is not None and (kind is pandas.DataFrame or kind is pandas.Series):
            return self.table(value, depth, pandas)
        if kind is slice:
            parts = [value.start, value.stop, value.step]  # type: ignore[attr-defined]
            if all(part is None or type(part) is int for part in parts):
                for part in parts:
                    if part is not None:
                        _check_int(part)
                return {"t": "slice", "v": parts}
        return self.handle(value)

    def mapping(self, value: dict[Any, Any], depth: int) -> Any:
        keys = list(value)
        _check_depth(depth + 1)
        if all(type(key) is str for key in keys):
            self.budget.keys(keys)
        else:
            for key in keys:
                if not _is_key(key, depth + 1):
                    return self.handle(value, f"a dict with a key of type {type_name(key)}")
            keys = [self.value(key, depth + 1) for key in keys]
        values = [self.value(item, depth + 1) for item in value.values()]
        return {"t": "dict", "k": keys, "v": values}

    def table(self, value: Any, depth: int, pandas: Any) -> Any:
        """A pandas DataFrame or Series as its columns' values (arrays when numeric, else
        lists of plain values, missing values as None), its labels and its index (a
        RangeIndex as a slice). Column dtypes beyond that (categorical, timezones) are
        not kept: the other side rebuilds the table from the values."""
        _check_depth(depth + 1)
        index = value.index
        if type(index) is pandas.RangeIndex:
            where: Any = {"t": "slice", "v": [index.start, index.stop, index.step]}
        else:
            where = self.column(index, depth + 1, pandas)
        if type(value) is pandas.Series:
            name = self.value(value.name, depth + 1)
            return {
                "t": "series",
                "name": name,
                "v": self.column(value, depth + 1, pandas),
                "index": where,
            }
        columns = self.value(list(value.columns), depth + 1)
        values = [self.column(value.iloc[:, i], depth + 1, pandas) for i in range(value.shape[1])]
        return {"t": "frame", "columns": columns, "v": values, "index": where}

    def column(self, values: Any, depth: int, pandas: Any) -> Any:
        array = values.to_numpy()
        if array.dtype.str in DTYPES:
            return self.array(array)
        items = [
            None if item is pandas.NA or item is pandas.NaT else item for item in array.tolist()
        ]
        return self.value(items, depth)

    def array(self, value: np.ndarray[Any, Any]) -> Any:
        dtype = value.dtype.str
        if dtype == "|O" and value.ndim <= MAX_NDIM:
            items = value.reshape(-1).tolist()
            if all(type(item) in _OBJECT_ITEMS for item in items):
                self.budget.items += len(items)
                if self.budget.items > MAX_ITEMS:
                    raise self.budget.too_many()
                for item in items:
                    if type(item) is str:
                        self.budget.string(item)
                    elif type(item) is int:
                        _check_int(item)
                return {"t": "objects", "v": items, "shape": list(value.shape)}
        if not _is_dtype(dtype) or value.dtype.fields is not None:
            return self.handle(value, f"a numpy array of dtype {value.dtype}")
        if value.ndim > MAX_NDIM:
            raise BoundaryError(f"an array of over MAX_NDIM = {MAX_NDIM} dimensions")
        self.budget.spend(value.nbytes, "array")
        flat = np.ascontiguousarray(value).reshape(-1).view(np.uint8)
        index = self.buffer(flat.data)
        return {"t": "array", "b": index, "dtype": dtype, "shape": list(value.shape)}

    def handle(self, value: object, what: str | None = None) -> Any:
        handle = None if self.handle_for is None else self.handle_for(value)
        if handle is None:
            raise BoundaryError(
                f"{what or 'a ' + type_name(value)} is not plain data (None, bool, int, "
                "float, complex, str, bytes, and lists, tuples, str-keyed dicts and numeric "
                "numpy arrays of them; exact types, not subclasses), and only the student's "
                "side hands out handles to other objects"
            )
        handle_id, name, back = handle
        return {"t": "handle", "id": handle_id, "type": name[:MAX_TYPE_NAME_CHARS], "back": back}


def type_name(value: object) -> str:
    """The name of the value's type for messages and handles, read with type's own
    descriptors, so that a metaclass's property is not asked (on the student's side that
    would run student code in the middle of encoding)."""
    kind = type(value)
    name = type.__dict__["__qualname__"].__get__(kind)
    module = type.__dict__["__module__"].__get__(kind)
    text = f"{module}.{name}" if type(module) is str and module != "builtins" else str(name)
    return text[:MAX_TYPE_NAME_CHARS]


def encode(value: object, handle_for: HandleFor | None = None) -> tuple[bytes, list[Buffer]]:
    """The JSON header (ASCII bytes) and the buffers it refers to. A value that is not plain
    data becomes a handle from `handle_for`, or raises BoundaryError without one."""
    encoder = _Encoder(handle_for)
    tree = encoder.value(value, 0)
    try:
        header = _JSON.encode(tree).encode("ascii")
    except (ValueError, RecursionError) as error:  # pragma: no cover - the walk bounds depth
        raise BoundaryError(f"cannot write the header: {error}") from None
    if len(header) > MAX_HEADER_BYTES:
        raise BoundaryError(f"a header of over MAX_HEADER_BYTES = {MAX_HEADER_BYTES} bytes")
    return header, encoder.buffers


# --- Decoding ------------------------------------------------------------------------------


class _Decoder:
    __slots__ = ("budget", "buffers", "used", "resolve")

    def __init__(self, buffers: Sequence[Buffer], resolve: Resolve | None) -> None:
        self.budget = _Budget()
        self.buffers = buffers
        self.used = [False] * len(buffers)
        self.resolve = resolve

    def buffer(self, index: object) -> memoryview:
        if type(index) is not int or not 0 <= index < len(self.buffers):
            raise BoundaryError(f"a buffer index that is not one of the {len(self.buffers)}")
        if self.used[index]:
            raise BoundaryError(f"buffer {index} is used twice")
        self.used[index] = True
        view = memoryview(self.buffers[index])
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B")
        return view

    def value(self, node: object, depth: int) -> object:
        budget = self.budget
        budget.items += 1
        if budget.items > MAX_ITEMS:
            raise budget.too_many()
        kind = type(node)
        if node is None or kind is bool or kind is float:
            return node
        if kind is int:
            if node.bit_length() > 62:  # type: ignore[attr-defined]
                _check_int(node)  # type: ignore[arg-type]
            return node
        if kind is str:
            budget.string(node)  # type: ignore[arg-type]
            return node
        if kind is list:
            _check_depth(depth + 1)
            return [self.value(item, depth + 1) for item in node]  # type: ignore[attr-defined]
        if kind is dict:
            return self.node(node, depth)  # type: ignore[arg-type]
        raise BoundaryError(f"a header entry of JSON type {kind.__name__}")

    def node(self, node: dict[str, object], depth: int) -> object:
        tag = node.get("t")
        if type(tag) is not str or tag not in _NODE_KEYS:
            raise BoundaryError("a header object without a known tag")
        if node.keys() != _NODE_KEYS[tag]:
            raise BoundaryError(f"a {tag} entry with fields {sorted(node)}")
        if tag == "tuple":
            items = node["v"]
            if type(items) is not list:
                raise BoundaryError("a tuple entry without a list of items")
            _check_depth(depth + 1)
            return tuple([self.value(item, depth + 1) for item in items])
        if tag == "dict":
            return self.mapping(node["k"], node["v"], depth)
        if tag in ("set", "frozenset"):
            items = node["v"]
            if type(items) is not list:
                raise BoundaryError(f"a {tag} entry without a list of items")
            _check_depth(depth + 1)
            values = [self.value(item, depth + 1) for item in items]
            if not all(_is_key(item, depth + 1) for item in values):
                raise BoundaryError(f"a {tag} item that is not a str, number, bytes or tuple")
            return set(values) if tag == "set" else frozenset(values)
        if tag == "complex":
            parts = node["v"]
            if type(parts) is not list or [type(part) for part in parts] != [float, float]:
                raise BoundaryError("a complex entry without two floats")
            return complex(parts[0], parts[1])  # type: ignore[arg-type]
        if tag == "slice":
            parts = node["v"]
            if type(parts) is not list or len(parts) != 3:
                raise BoundaryError("a slice entry without start, stop and step")
            for part in parts:
                if part is not None and type(part) is not int:
                    raise BoundaryError("a slice entry with a part that is not an int or null")
                if part is not None:
                    _check_int(part)
            return slice(parts[0], parts[1], parts[2])
        if tag == "bytes":
            view = self.buffer(node["b"])
            self.budget.spend(len(view), "bytes value")
            return view.tobytes()
        if tag == "array":
            return self.array(node)
        if tag in ("frame", "series"):
            return self.table(tag, node, depth)
        if tag == "objects":
            return self.objects(node, depth)
        return self.handle(node)

    def objects(self, node: dict[str, object], depth: int) -> np.ndarray[Any, Any]:
        """An object array of str, numbers, bools and None (text labels with gaps), made
        by numpy from the decoded items."""
        items, shape = node["v"], node["shape"]
        if type(items) is not list or type(shape) is not list or len(shape) > MAX_NDIM:
            raise BoundaryError("an object array without a list of items and a shape")
        count = 1
        for size in shape:
            if type(size) is not int or size < 0:
                raise BoundaryError("an array shape with a size that is not an int >= 0")
            count *= size
        if count != len(items):
            raise BoundaryError(f"an object array of shape {shape} with {len(items)} items")
        values = [self.value(item, depth + 1) for item in items]
        if not all(type(item) in _OBJECT_ITEMS for item in values):
            raise BoundaryError("an object array item that is not a str, number, bool or None")
        array = np.empty(count, dtype=object)
        array[:] = values
        return array.reshape(shape)

    def table(self, tag: str, node: dict[str, object], depth: int) -> object:
        """A DataFrame or Series built by pandas' constructors from decoded plain data."""
        import pandas

        _check_depth(depth + 1)
        index = self.value(node["index"], depth + 1)
        if type(index) is slice:
            index = pandas.RangeIndex(index.start, index.stop, index.step)
        elif type(index) is not list and type(index) is not np.ndarray:
            raise BoundaryError(f"a {tag} whose index is not a list, an array or a range")
        values = self.value(node["v"], depth + 1)
        try:
            if tag == "series":
                name = self.value(node["name"], depth + 1)
                if not _is_key(name, depth + 1):
                    raise BoundaryError("a series whose name is not a str, number or tuple")
                if type(values) is not list and type(values) is not np.ndarray:
                    raise BoundaryError("a series whose values are not a list or an array")
                return pandas.Series(values, index=index, name=name)
            columns = self.value(node["columns"], depth + 1)
            if type(columns) is not list or type(values) is not list:
                raise BoundaryError("a frame without lists of columns and values")
            if len(columns) != len(values) or not all(_is_key(c, depth + 1) for c in columns):
                raise BoundaryError("a frame whose column labels do not match its columns")
            if not all(type(v) is list or type(v) is np.ndarray for v in values):
                raise BoundaryError("a frame column that is not a list or an array")
            frame = pandas.DataFrame(dict(enumerate(values)), index=index)
            frame.columns = pandas.Index(columns, tupleize_cols=False)
            return frame
        except (ValueError, TypeError) as error:
            raise BoundaryError(f"a {tag} that pandas cannot build: {error}") from None

    def mapping(self, keys: object, values: object, depth: int) -> dict[str, object]:
        if type(keys) is not list or type(values) is not list or len(keys) != len(values):
            raise BoundaryError("a dict entry without lists of keys and values of one length")
        _check_depth(depth + 1)
        if all(type(key) is str for key in keys):
            self.budget.keys(keys)  # type: ignore[arg-type]
        else:
            keys = [self.value(key, depth + 1) for key in keys]
            if not all(_is_key(key, depth + 1) for key in keys):
                raise BoundaryError("a dict key that is not a str, number, bytes or tuple of them")
        result = dict(zip(keys, [self.value(item, depth + 1) for item in values], strict=True))
        if len(result) != len(keys):
            raise BoundaryError("a dict entry with a key twice")
        return result

    def array(self, node: dict[str, object]) -> np.ndarray[Any, Any]:
        dtype_name, shape = node["dtype"], node["shape"]
        if type(dtype_name) is not str or not _is_dtype(dtype_name):
            raise BoundaryError(f"an array of dtype {str(dtype_name)[:40]!r}, not one of DTYPES")
        if type(shape) is not list or len(shape) > MAX_NDIM:
            raise BoundaryError(
                f"an array shape that is not a list of MAX_NDIM = {MAX_NDIM} or less"
            )
        count = 1
        bound = 1
        for size in shape:
            if type(size) is not int or size < 0:
                raise BoundaryError("an array shape with a size that is not an int >= 0")
            count *= size
            bound *= max(size, 1)
            if bound > MAX_TOTAL_BYTES:
                raise BoundaryError(f"an array shape of over MAX_TOTAL_BYTES = {MAX_TOTAL_BYTES}")
        dtype = _DTYPE_OF.get(dtype_name) or np.dtype(dtype_name)
        view = self.buffer(node["b"])
        if len(view) != count * dtype.itemsize:
            raise BoundaryError(
                f"an array of shape {tuple(shape)} and dtype {dtype_name} needs "
                f"{count * dtype.itemsize} bytes, its buffer has {len(view)}"
            )
        self.budget.spend(len(view), "array")
        flat = np.frombuffer(view, dtype=dtype, count=count)
        if dtype.kind == "U" and count and int(flat.view(np.uint32).max()) > 0x10FFFF:
            raise BoundaryError("a text array holding a character that is not one")
        return flat.reshape(shape).copy()

    def handle(self, node: dict[str, object]) -> object:
        handle_id, name, back = node["id"], node["type"], node["back"]
        if type(handle_id) is not int or not 0 <= handle_id < 2**63:
            raise BoundaryError("a handle whose id is not an int >= 0")
        if type(name) is not str or len(name) > MAX_TYPE_NAME_CHARS:
            raise BoundaryError(f"a handle type name of over {MAX_TYPE_NAME_CHARS} characters")
        if type(back) is not bool:
            raise BoundaryError("a handle that does not say whose it is")
        if self.resolve is None:
            raise BoundaryError("a handle where only plain data is accepted")
        return self.resolve(handle_id, name, back)


def decode(header: Buffer, buffers: Sequence[Buffer], resolve: Resolve | None = None) -> object:
    """The value a message stands for. Handles are given to `resolve` (which may raise
    BoundaryError for an id it does not know); without it a handle is refused."""
    if len(header) > MAX_HEADER_BYTES:
        raise BoundaryError(f"a header of over MAX_HEADER_BYTES = {MAX_HEADER_BYTES} bytes")
    if len(buffers) > MAX_BUFFERS:
        raise BoundaryError(f"more than MAX_BUFFERS = {MAX_BUFFERS} buffers")
    try:
        text = bytes(header).decode("utf-8")
        tree = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise BoundaryError(f"a header that is not JSON: {str(error)[:200]}") from None
    decoder = _Decoder(buffers, resolve)
    try:
        value = decoder.value(tree, 0)
    except BoundaryError:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError, MemoryError) as error:
        # Checked above, so not expected; a message still never raises anything else.
        raise BoundaryError(f"a malformed message: {type(error).__name__}: {error}") from None
    if not all(decoder.used):
        raise BoundaryError(f"buffer {decoder.used.index(False)} is not used by the header")
    return value
