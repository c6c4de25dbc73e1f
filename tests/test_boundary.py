"""The boundary between the teacher's tests and the student's code (runtime/boundary).

Codec: every kind of plain data round-trips with its exact type; everything else is
refused (or becomes a handle where handles are given out); malformed messages raise
BoundaryError and nothing else. Remote: every question a student's object would answer
(==, bool, len, np.asarray, ...) is refused on the grading side without a request.
End to end: a student process started the way a kernel will be (a fresh interpreter that
cannot import autograder, given the student's side as source) serves a namespace over a
socketpair, and the grading side calls into it.
"""

from __future__ import annotations

import copy
import gc
import math
import operator
import os
import pickle
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from autograder.runtime.boundary import (
    BoundaryError,
    HandleTable,
    Peer,
    Remote,
    StudentError,
    codec,
    decode,
    encode,
    kernel_program,
)
from autograder.runtime.boundary.channel import MAX_FRAME_BYTES, FrameReader, send_frame
from autograder.runtime.boundary.handles import describe_exception, student_error


def same(a: object, b: object) -> bool:
    """Equal and of the same exact types all the way down (1 == 1.0 == True is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray)
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        )
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple))
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        assert isinstance(b, float)
        if math.isnan(a):
            return math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, complex):
        assert isinstance(b, complex)
        return same(a.real, b.real) and same(a.imag, b.imag)
    return a == b


def round_trip(value: object) -> object:
    header, buffers = encode(value)
    return decode(header, [bytes(buffer) for buffer in buffers])


# --- Codec: plain data -----------------------------------------------------------------------

SCALARS = [
    None,
    True,
    False,
    0,
    -1,
    2**62,
    2**200,
    -(2**4000),
    1.5,
    -0.0,
    float("nan"),
    float("inf"),
    -float("inf"),
    5e-324,
    1 + 2j,
    complex(float("inf"), -0.0),
    "",
    "héllo ☃ \x00 \n",
    "\ud800 a lone surrogate",
    b"",
    bytes(range(256)),
    slice(None),
    slice(1, None, -2),
]


@pytest.mark.parametrize("value", SCALARS, ids=repr)
def test_scalars_round_trip_with_their_exact_type(value: object) -> None:
    assert same(round_trip(value), value)


def test_containers_round_trip_nested() -> None:
    value = {
        "empty": [[], (), {}],
        "nested": [1, [2.0, [3j, ("four", b"five", None)]]],
        "tuples": ((1,), ((2,),)),
        "arrays": [np.arange(6).reshape(2, 3), {"inner": np.ones((2, 0, 3))}],
        "": "an empty key",
        "keys keep their order": {"b": 1, "a": 2},
    }
    assert same(round_trip(value), value)


def test_dicts_with_keys_of_plain_data_round_trip() -> None:
    value = {1: "a", (True, "b"): [1.5], None: {2.5: b"x"}, "s": frozenset({(1, 2), "t"})}
    back = round_trip(value)
    assert back == value and [type(k) for k in back] == [type(k) for k in value]


def test_object_arrays_of_labels_round_trip() -> None:
    labels = np.array(["Adelie", None, "Gentoo", 3, 2.5, True], dtype=object).reshape(2, 3)
    back = round_trip(labels)
    assert isinstance(back, np.ndarray) and back.dtype == object and back.shape == (2, 3)
    assert back.tolist() == labels.tolist()
    assert [type(x) for x in back.ravel()] == [type(x) for x in labels.ravel()]


def test_sets_round_trip_as_sets() -> None:
    assert round_trip({1, "a", (2, 3)}) == {1, "a", (2, 3)}
    assert type(round_trip(frozenset({1}))) is frozenset


def test_text_arrays_round_trip() -> None:
    labels = np.array(["setosa", "virginica", "é☃"])
    back = round_trip(labels)
    assert isinstance(back, np.ndarray) and back.dtype == labels.dtype
    assert back.tolist() == labels.tolist()


def test_pandas_tables_round_trip_as_their_values() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"x": [1.0, np.nan, 3.0], "name": ["a", None, "c"], 7: [1, 2, 3]}, index=[10, 20, 30]
    )
    back = round_trip(frame)
    assert type(back) is pd.DataFrame
    assert list(back.columns) == ["x", "name", 7] and list(back.index) == [10, 20, 30]
    assert back["x"].dtype == np.float64 and np.isnan(back["x"].iloc[1])
    assert back["name"].tolist()[::2] == ["a", "c"] and pd.isna(back["name"].iloc[1])
    series = round_trip(frame["x"].iloc[1:])
    assert type(series) is pd.Series and series.name == "x" and list(series.index) == [20, 30]
    ranged = round_trip(pd.DataFrame({"a": [1, 2]}))
    assert type(ranged.index) is pd.RangeIndex


def test_a_table_of_objects_that_are_not_data_is_not_plain_data() -> None:
    pd = pytest.importorskip("pandas")
    with pytest.raises(BoundaryError, match="not plain data"):
        encode(pd.DataFrame({"f": [len, len]}))


ALL_DTYPES = sorted(codec.DTYPES)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_arrays_of_every_allowed_dtype_round_trip(dtype: str) -> None:
    base = np.arange(24).reshape(2, 3, 4) % 2 if dtype == "|b1" else np.arange(24).reshape(2, 3, 4)
    array = base.astype(dtype)
    back = round_trip(array)
    assert same(back, array)
    assert isinstance(back, np.ndarray)
    assert back.dtype.str == dtype
    assert back.flags.c_contiguous and back.flags.writeable and back.flags.owndata


def test_arrays_of_any_layout_and_shape_round_trip() -> None:
    matrix = np.arange(12.0).reshape(3, 4)
    for array in [
        matrix.T,  # not C-contiguous
        np.asfortranarray(matrix),
        matrix[::2, ::-1],
        np.array(3.5),  # 0-d
        np.zeros((0, 5)),
        np.zeros((2, 0, 3), dtype=np.int8),
        np.arange(4, dtype=">i4"),  # not the machine's byte order
        np.array([np.nan, -0.0, np.inf]),
    ]:
        assert same(round_trip(array), array), array


def test_decoded_arrays_are_fresh() -> None:
    """The array owns its memory: writing to it does not touch the received buffer."""
    header, buffers = encode(np.arange(4.0))
    received = [bytearray(buffer) for buffer in buffers]
    back = decode(header, received)
    assert isinstance(back, np.ndarray)
    back[:] = 7
    assert bytes(received[0]) == np.arange(4.0).tobytes()


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        (np.float64(0.25), 0.25),
        (np.float32(0.5), 0.5),
        (np.float16(1.5), 1.5),
        (np.int64(-3), -3),
        (np.longlong(4), 4),
        (np.uint8(255), 255),
        (np.uint64(2**64 - 1), 2**64 - 1),
        (np.bool_(True), True),
        (np.complex64(1 + 1j), 1 + 1j),
        (np.complex128(2 - 1j), 2 - 1j),
    ],
    ids=repr,
)
def test_numpy_scalars_cross_as_their_python_value(scalar: object, expected: object) -> None:
    assert same(round_trip(scalar), expected)
    assert same(round_trip([scalar]), [expected])


# --- Codec: refusals ---------------------------------------------------------------------------


class EqualToEverything(int):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


class SneakyList(list):  # type: ignore[type-arg]
    def __eq__(self, other: object) -> bool:
        return True


class SneakyDict(dict):  # type: ignore[type-arg]
    def __eq__(self, other: object) -> bool:
        return True


class SneakyArray(np.ndarray):  # type: ignore[type-arg]
    def __eq__(self, other: object) -> Any:
        return True


class SneakyFloat(float):
    pass


class SneakyStr(str):
    pass


class ArrayLike:
    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        return np.ones(3)


NOT_PLAIN = {
    "int subclass": EqualToEverything(3),
    "list subclass": SneakyList([1, 2]),
    "dict subclass": SneakyDict(a=1),
    "ndarray subclass": np.arange(3).view(SneakyArray),
    "np.matrix": np.eye(2).view(np.matrix),
    "float subclass": SneakyFloat(1.0),
    "str subclass": SneakyStr("x"),
    "object with __array__": ArrayLike(),
    "object array of objects": np.array([1, "a", len], dtype=object),
    "structured array": np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")]),
    "datetime array": np.array(["2024-01-01"], dtype="datetime64[D]"),
    "text array of over MAX_TEXT_ITEM_CHARS": np.array(["x" * 5000]),
    "void array": np.zeros(2, dtype="V4"),
    "long double array": np.zeros(2, dtype=np.longdouble),
    "datetime64 scalar": np.datetime64("2024-01-01"),
    "a dict with a key of an int subclass": {EqualToEverything(1): "a"},
    "a dict with a frozenset key": {frozenset({1}): "a"},
    "a set of lists": {(1, 2), frozenset({3})},
    "a function": len,
    "a slice of floats": slice(0.5, 1.0),
}


@pytest.mark.parametrize("value", NOT_PLAIN.values(), ids=NOT_PLAIN.keys())
def test_what_is_not_plain_data_is_refused(value: object) -> None:
    with pytest.raises(BoundaryError, match="not plain data"):
        encode(value)
    with pytest.raises(BoundaryError, match="not plain data"):
        encode({"nested": [1, (2, value)]})


@pytest.mark.parametrize("value", NOT_PLAIN.values(), ids=NOT_PLAIN.keys())
def test_what_is_not_plain_data_becomes_a_handle_on_its_owners_side(value: object) -> None:
    table = HandleTable()
    header, buffers = encode([1, value], handle_for=lambda v: (*table.add(v), False))
    seen: list[tuple[int, str]] = []

    def resolve(handle_id: int, name: str, back: bool) -> object:
        assert back is False
        seen.append((handle_id, name))
        return table.get(handle_id)

    back = decode(header, buffers, resolve=resolve)
    assert isinstance(back, list) and back[0] == 1 and back[1] is value
    assert len(seen) == 1 and len(table) == 1
    with pytest.raises(BoundaryError, match="only plain data"):
        decode(header, buffers)  # no resolver: handles are refused
    table.release([(seen[0][0], 1)])
    with pytest.raises(BoundaryError, match="not held"):
        decode(header, buffers, resolve=lambda i, name, back: table.get(i, name))


def test_the_handle_type_name_is_read_without_asking_a_metaclass() -> None:
    asked: list[str] = []

    class Meta(type):
        def __getattribute__(cls, name: str) -> Any:
            asked.append(name)
            return super().__getattribute__(name)

    class Odd(metaclass=Meta):
        pass

    odd = Odd()
    name = f"{__name__}.{Odd.__qualname__}"  # the metaclass is asked here, then forgotten
    asked.clear()
    assert codec.type_name(odd) == name
    assert HandleTable().add(odd)[1] == name
    assert asked == []
    Odd.__qualname__  # noqa: B018 - the metaclass does see an ordinary lookup
    assert asked == ["__qualname__"]


@pytest.mark.parametrize(
    ("limit", "value_for", "message"),
    [
        ("MAX_DEPTH", lambda n: nested(n + 1), "MAX_DEPTH"),
        ("MAX_ITEMS", lambda n: list(range(n)), "MAX_ITEMS"),
        ("MAX_STRING_CHARS", lambda n: "x" * (n + 1), "MAX_STRING_CHARS"),
        ("MAX_STRING_CHARS", lambda n: {"k" * (n + 1): 1}, "MAX_STRING_CHARS"),
        ("MAX_TOTAL_BYTES", lambda n: ["x" * (n // 2 + 1)] * 2, "MAX_TOTAL_BYTES"),
        ("MAX_TOTAL_BYTES", lambda n: [b"x" * (n // 2 + 1)] * 2, "MAX_TOTAL_BYTES"),
        ("MAX_TOTAL_BYTES", lambda n: np.zeros(n // 8 + 1), "MAX_TOTAL_BYTES"),
        ("MAX_INT_BITS", lambda n: 2**n, "MAX_INT_BITS"),
        ("MAX_NDIM", lambda n: np.zeros((1,) * (n + 1)), "MAX_NDIM"),
        ("MAX_BUFFERS", lambda n: [b"x"] * (n + 1), "MAX_BUFFERS"),
    ],
)
def test_bounds_name_the_limit_exceeded(
    monkeypatch: pytest.MonkeyPatch, limit: str, value_for: Callable[[int], object], message: str
) -> None:
    small = 10 if limit not in ("MAX_TOTAL_BYTES", "MAX_INT_BITS") else 1000
    if limit == "MAX_NDIM":
        small = 5
    monkeypatch.setattr(codec, limit, small)
    value = value_for(small)
    with pytest.raises(BoundaryError, match=message):
        encode(value)
    monkeypatch.undo()
    header, buffers = encode(value)  # fits the real bounds: the decoder checks them too
    monkeypatch.setattr(codec, limit, small)
    with pytest.raises(BoundaryError, match=message):
        decode(header, buffers)


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_depth_is_allowed_up_to_the_bound_and_cycles_hit_it() -> None:
    assert same(round_trip(nested(codec.MAX_DEPTH)), nested(codec.MAX_DEPTH))
    with pytest.raises(BoundaryError, match="MAX_DEPTH"):
        encode(nested(codec.MAX_DEPTH + 1))
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(BoundaryError, match="contains itself"):
        encode(loop)


# --- Codec: malformed messages --------------------------------------------------------------

F8 = np.arange(3.0).tobytes()
MALFORMED: dict[str, tuple[bytes, list[bytes]]] = {
    "not JSON": (b"{", []),
    "not UTF-8": (b'"\xff"', []),
    "JSON nested past the recursion limit": (b"[" * 100_000 + b"]" * 100_000, []),
    "an int of 5000 digits": (b"1" * 5000, []),
    "an int over MAX_INT_BITS": (b"1" + b"0" * 1300, []),
    "an object without a tag": (b'{"v":[]}', []),
    "an unknown tag": (b'{"t":"bag","v":[]}', []),
    "a tag that is not a str": (b'{"t":1,"v":[]}', []),
    "an extra field": (b'{"t":"tuple","v":[],"x":1}', []),
    "a missing field": (b'{"t":"dict","k":[]}', []),
    "a tuple without a list": (b'{"t":"tuple","v":{}}', []),
    "a list as a dict key": (b'{"t":"dict","k":[[1]],"v":[1]}', []),
    "a text item too long": (b'{"t":"array","b":0,"dtype":"<U5000","shape":[0]}', [b""]),
    "a character that is not one": (
        b'{"t":"array","b":0,"dtype":"<U1","shape":[1]}',
        [b"\xff" * 4],
    ),
    "a dict key twice": (b'{"t":"dict","k":["a","a"],"v":[1,2]}', []),
    "dict keys and values of two lengths": (b'{"t":"dict","k":["a"],"v":[]}', []),
    "a complex of ints": (b'{"t":"complex","v":[1,2]}', []),
    "a complex of three": (b'{"t":"complex","v":[1.0,2.0,3.0]}', []),
    "a slice of floats": (b'{"t":"slice","v":[0.5,null,null]}', []),
    "a slice of two": (b'{"t":"slice","v":[1,2]}', []),
    "a bytes index out of range": (b'{"t":"bytes","b":1}', [b"x"]),
    "a bytes index that is not an int": (b'{"t":"bytes","b":"0"}', [b"x"]),
    "a bool as a buffer index": (b'{"t":"bytes","b":true}', [b"x"]),
    "a buffer used twice": (b'[{"t":"bytes","b":0},{"t":"bytes","b":0}]', [b"x"]),
    "a buffer not used": (b"1", [b"x"]),
    "an object dtype": (b'{"t":"array","b":0,"dtype":"|O","shape":[1]}', [b"\0" * 8]),
    "an object array of a list": (b'{"t":"objects","v":[[1]],"shape":[1]}', []),
    "an object array of the wrong size": (b'{"t":"objects","v":["a"],"shape":[2]}', []),
    "a datetime dtype": (b'{"t":"array","b":0,"dtype":"<M8[s]","shape":[1]}', [b"\0" * 8]),
    "a string dtype of no size": (b'{"t":"array","b":0,"dtype":"<U0","shape":[1]}', [b""]),
    "a void dtype": (b'{"t":"array","b":0,"dtype":"|V8","shape":[1]}', [b"\0" * 8]),
    "a dtype that is not a str": (b'{"t":"array","b":0,"dtype":["<f8"],"shape":[3]}', [F8]),
    "a negative size": (b'{"t":"array","b":0,"dtype":"<f8","shape":[-3]}', [F8]),
    "a float size": (b'{"t":"array","b":0,"dtype":"<f8","shape":[3.0]}', [F8]),
    "a shape that is not a list": (b'{"t":"array","b":0,"dtype":"<f8","shape":3}', [F8]),
    "too many dimensions": (
        b'{"t":"array","b":0,"dtype":"<f8","shape":[1' + b",1" * 40 + b"]}",
        [F8],
    ),
    "sizes whose product overflows": (
        b'{"t":"array","b":0,"dtype":"<f8","shape":[0,4294967296,4294967296]}',
        [b""],
    ),
    "a buffer too short": (b'{"t":"array","b":0,"dtype":"<f8","shape":[4]}', [F8]),
    "a buffer too long": (b'{"t":"array","b":0,"dtype":"<f8","shape":[2]}', [F8]),
    "a truncated buffer": (b'{"t":"array","b":0,"dtype":"<f8","shape":[3]}', [F8[:-1]]),
    "a handle id that is negative": (b'{"t":"handle","id":-1,"type":"x","back":false}', []),
    "a handle type name too long": (
        b'{"t":"handle","id":1,"type":"' + b"x" * 300 + b'","back":false}',
        [],
    ),
    "a handle without a resolver": (b'{"t":"handle","id":1,"type":"x","back":false}', []),
    "a handle that does not say whose": (b'{"t":"handle","id":1,"type":"x","back":1}', []),
}


@pytest.mark.parametrize(("header", "buffers"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_messages_raise_boundary_error(header: bytes, buffers: list[bytes]) -> None:
    with pytest.raises(BoundaryError):
        decode(header, buffers)


def test_the_header_size_is_bounded_before_it_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    header, buffers = encode("x" * 100)
    monkeypatch.setattr(codec, "MAX_HEADER_BYTES", 50)
    with pytest.raises(BoundaryError, match="MAX_HEADER_BYTES"):
        decode(header, buffers)
    with pytest.raises(BoundaryError, match="MAX_HEADER_BYTES"):
        encode("x" * 100)


def test_mangled_messages_raise_only_boundary_error() -> None:
    """Random damage to a valid message: each decodes to something or raises BoundaryError."""
    value = {
        "a": [1, 2.5, "three", b"four", (None, True), {"deep": [[1], [2, [3]]]}],
        "array": np.arange(12, dtype="<i4").reshape(3, 4),
        "c": 1 - 2j,
        "s": slice(1, 5, 2),
    }
    header, buffers = encode(value)
    header_bytes, buffer_bytes = bytes(header), [bytes(buffer) for buffer in buffers]
    alphabet = b'{}[]":,0123456789-.eE tfnul"tvkbdhrayipe'
    rng = random.Random(20240601)
    outcomes = {"decoded": 0, "refused": 0}
    for _ in range(4000):
        mangled = bytearray(header_bytes)
        for _ in range(rng.randint(1, 4)):
            action = rng.random()
            position = rng.randrange(len(mangled))
            if action < 0.4:
                mangled[position] = rng.choice(alphabet)
            elif action < 0.7:
                del mangled[position : position + rng.randint(1, 8)]
            else:
                mangled[position:position] = bytes(rng.choices(alphabet, k=rng.randint(1, 6)))
        mangled_buffers = list(buffer_bytes)
        if rng.random() < 0.3:
            index = rng.randrange(len(mangled_buffers))
            mangled_buffers[index] = mangled_buffers[index][: rng.randrange(40)]
        try:
            decode(bytes(mangled), mangled_buffers)
            outcomes["decoded"] += 1
        except BoundaryError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 1000


# --- Frames -------------------------------------------------------------------------------------


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_frames_arrive_whole_small_and_large_back_to_back(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    sender, receiver = pair
    big = np.arange(300_000, dtype="<f8")  # 2.4 MB: read into a buffer of its own
    messages = [{"n": 1}, {"big": big, "tail": "x"}, {"n": 3}, "last"]

    def send() -> None:
        for message in messages:
            header, buffers = encode(message)
            send_frame(sender, header, buffers)
        sender.shutdown(socket.SHUT_WR)

    sending = threading.Thread(target=send)
    sending.start()
    reader = FrameReader(receiver)
    deadline = time.monotonic() + 10
    received = []
    while (frame := reader.read(deadline)) is not None:
        received.append(decode(*frame))
    sending.join()
    assert same(received, messages)


def test_a_frame_read_past_its_deadline_is_finished_by_the_next_read(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    sender, receiver = pair
    header, buffers = encode({"data": np.arange(100_000.0)})  # 800 kB
    frame = _frame_bytes(header, buffers)
    reader = FrameReader(receiver)
    sender.sendall(frame[:5])  # not even the whole length
    with pytest.raises(TimeoutError):
        reader.read(time.monotonic() + 0.05)
    sender.sendall(frame[5:100_000])
    with pytest.raises(TimeoutError):
        reader.read(time.monotonic() + 0.05)
    sending = threading.Thread(target=sender.sendall, args=(frame[100_000:],))
    sending.start()
    got = reader.read(time.monotonic() + 5)
    sending.join()
    assert got is not None
    assert same(decode(*got), {"data": np.arange(100_000.0)})


def _frame_bytes(header: bytes, buffers: list[codec.Buffer]) -> bytes:
    """The bytes send_frame writes."""
    a, b = socket.socketpair()
    with a, b:

        def send() -> None:
            send_frame(a, header, buffers)
            a.shutdown(socket.SHUT_WR)

        sending = threading.Thread(target=send)
        sending.start()
        chunks = []
        while chunk := b.recv(1 << 20):
            chunks.append(chunk)
        sending.join()
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"XXXX" + (10).to_bytes(8, "big") + b"0" * 10, "does not start"),
        (b"AGB1" + (MAX_FRAME_BYTES + 1).to_bytes(8, "big"), "MAX_FRAME_BYTES"),
        (b"AGB1" + (2**63).to_bytes(8, "big"), "MAX_FRAME_BYTES"),
        (b"AGB1" + (4).to_bytes(8, "big") + b"\0\0\0\0", "too short"),
        (b"AGB1" + (16).to_bytes(8, "big") + (2).to_bytes(4, "big") + b"\0" * 12, "add up"),
        (
            b"AGB1" + (8).to_bytes(8, "big") + (0).to_bytes(4, "big") + (2**31).to_bytes(4, "big"),
            "MAX_BUFFERS",
        ),
        (b"AGB1" + (100).to_bytes(8, "big") + b"\0" * 10, "closed in the middle"),
        (b"AGB1\0\0", "closed in the middle"),
    ],
)
def test_frames_that_are_not_ours_raise_boundary_error(
    pair: tuple[socket.socket, socket.socket], raw: bytes, message: str
) -> None:
    sender, receiver = pair
    sender.sendall(raw)
    sender.shutdown(socket.SHUT_WR)
    with pytest.raises(BoundaryError, match=message):
        FrameReader(receiver).read(time.monotonic() + 5)


def test_a_message_over_the_frame_bound_is_not_sent(
    pair: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    from autograder.runtime.boundary import channel

    monkeypatch.setattr(channel, "MAX_FRAME_BYTES", 100)
    with pytest.raises(BoundaryError, match="MAX_FRAME_BYTES"):
        send_frame(pair[0], *encode(b"x" * 200))


# --- Remote, on the grading side alone ----------------------------------------------------------


class Recorder:
    """A Forwarder that records what a Remote asks of the student's side."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, object]] = []

    def remote_getattr(self, target: Remote, name: str) -> Any:
        self.asked.append(("getattr", name))
        return "attribute"

    def remote_call(self, target: Remote, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self.asked.append(("call", (args, kwargs)))
        return "called"

    def remote_getitem(self, target: Remote, key: Any) -> Any:
        self.asked.append(("getitem", key))
        return "item"

    def forget(self, handle_id: int) -> None:
        self.asked.append(("forget", handle_id))


def _inplace_add(remote: Any) -> None:
    remote += 1


REFUSED: dict[str, Callable[[Any], object]] = {
    "==": lambda r: r == 1,
    "== reflected": lambda r: 1 == r,  # noqa: SIM300 - int's == first, then the Remote's
    "!=": lambda r: r != 1,
    "<": lambda r: r < 1,
    "<=": lambda r: r <= 1,
    "> reflected": lambda r: 1 > r,  # noqa: SIM300
    ">=": lambda r: r >= 1,
    "== another Remote": lambda r: r == r,
    "in a list": lambda r: r in [1, 2],
    "list.index": lambda r: [1, 2].index(r),
    "bool": bool,
    "not": lambda r: not r,
    "if": lambda r: 1 if r else 0,
    "len": len,
    "iter": iter,
    "list()": list,
    "tuple unpacking": lambda r: [*r],
    "reversed": reversed,
    "in": lambda r: 1 in r,
    "hash": hash,
    "in a set": lambda r: {r},
    "as a dict key": lambda r: {r: 1},
    "float": float,
    "int": int,
    "complex": complex,
    "operator.index": operator.index,
    "as a list index": lambda r: [1, 2][r],
    "range": range,
    "bytes": bytes,
    "round": round,
    "math.floor": math.floor,
    "math.trunc": math.trunc,
    "abs": abs,
    "negation": operator.neg,
    "~": operator.invert,
    "+": lambda r: r + 1,
    "+ reflected": lambda r: 1 + r,
    "+=": _inplace_add,
    "-": lambda r: r - 1,
    "*": lambda r: 2 * r,
    "@": lambda r: np.eye(2) @ r,
    "/": lambda r: r / 2,
    "//": lambda r: r // 2,
    "%": lambda r: r % 2,
    "**": lambda r: r**2,
    "divmod": lambda r: divmod(r, 2),
    "&": lambda r: r & 1,
    "<<": lambda r: r << 1,
    "setattr of a private name": lambda r: setattr(r, "_x", 1),
    "delattr": lambda r: delattr(r, "x"),
    "format spec": lambda r: f"{r:.2f}",
    "np.asarray": np.asarray,
    "np.array": np.array,
    "np.array dtype=object": lambda r: np.array(r, dtype=object),
    "np.array of a list of it": lambda r: np.array([r]),
    "np.array of a list, dtype=object": lambda r: np.array([r, 1], dtype=object),
    "np.asanyarray": np.asanyarray,
    "np.allclose": lambda r: np.allclose(r, np.ones(3)),
    "np.isclose": lambda r: np.isclose(r, 1.0),
    "np.testing.assert_allclose": lambda r: np.testing.assert_allclose(r, 1.0),
    "ndarray ==": lambda r: np.arange(3) == r,
    "ndarray +": lambda r: np.arange(3) + r,
    "np.add": lambda r: np.add(np.arange(3), r),
    "np.float64()": np.float64,
    "math.isclose": lambda r: math.isclose(r, 1),
    "math.sqrt": math.sqrt,
    "sum": lambda r: sum(r),
    "sorted": lambda r: sorted([r, 1]),
    "max": lambda r: max(r, 1),
    "pickle": pickle.dumps,
    "copy.copy": copy.copy,
    "copy.deepcopy": copy.deepcopy,
}


@pytest.mark.parametrize("operation", REFUSED.values(), ids=REFUSED.keys())
def test_a_remote_refuses_every_question_without_asking(operation: Callable[[Any], object]) -> None:
    recorder = Recorder()
    remote = Remote(recorder, 7, "__main__.Sneaky")
    with pytest.raises(TypeError) as raised:
        operation(remote)
    assert recorder.asked == []
    text = str(raised.value)
    if "Remote" not in text:  # numpy's own words for a failed conversion name the type
        assert "an object from the student's code that is not plain data cannot be" in text
        assert "on the grading side" in text
        assert "'__main__.Sneaky', handle 7" in text


def test_np_asarray_raises_rather_than_making_an_object_array() -> None:
    recorder = Recorder()
    remote = Remote(recorder, 1, "Sneaky")
    with pytest.raises(TypeError, match="converted to a numpy array"):
        np.asarray(remote)
    with pytest.raises(TypeError, match="converted to a numpy array"):
        np.asarray([remote, 1], dtype=object)
    assert recorder.asked == []


@pytest.mark.parametrize(
    "name",
    [
        "__array_interface__",
        "__array_struct__",
        "__array_priority__",
        "__array_function__",
        "__array_ufunc__",
        "__dict__",
        "__len__x",
        "__getstate__x",
        "_repr_html_",
        "_repr_mimebundle_",
        "_ipython_display_",
        "_ipython_canary_method_should_not_exist_",
        "_typ",
        "_private",
        "_Remote__id_x",
    ],
)
def test_underscore_names_are_answered_locally(name: str) -> None:
    recorder = Recorder()
    remote = Remote(recorder, 1, "Sneaky")
    assert not hasattr(remote, name)
    with pytest.raises(AttributeError, match="not forwarded|not asked"):
        getattr(remote, name)
    assert recorder.asked == []


def test_public_names_calls_items_and_the_sklearn_dunders_are_forwarded() -> None:
    recorder = Recorder()
    remote = Remote(recorder, 1, "Estimator")
    assert remote.fit == "attribute"
    assert remote(1, k=2) == "called"
    assert remote["key"] == "item"
    assert remote[1:3] == "item"
    for name in ["__sklearn_clone__", "__sklearn_tags__", "__sklearn_is_fitted__", "__name__"]:
        assert getattr(remote, name) == "attribute"
    assert recorder.asked == [
        ("getattr", "fit"),
        ("call", ((1,), {"k": 2})),
        ("getitem", "key"),
        ("getitem", slice(1, 3)),
        ("getattr", "__sklearn_clone__"),
        ("getattr", "__sklearn_tags__"),
        ("getattr", "__sklearn_is_fitted__"),
        ("getattr", "__name__"),
    ]


def test_repr_and_str_describe_the_handle_locally_with_the_name_escaped() -> None:
    recorder = Recorder()
    remote = Remote(recorder, 3, "evil\n\x1b[31mred")
    for text in (repr(remote), str(remote), f"{remote}", f"{remote!s}"):
        assert "\n" not in text and "\x1b" not in text
        assert "handle 3" in text and "\\n\\x1b[31mred" in text
    assert recorder.asked == []


def test_a_collected_remote_is_forgotten() -> None:
    recorder = Recorder()
    remote = Remote(recorder, 5, "x")
    del remote
    gc.collect()
    assert recorder.asked == [("forget", 5)]


# --- Exceptions as data ---------------------------------------------------------------------------


class StudentsError(KeyError):
    pass


class ValueErrorInName(Exception):
    pass


ValueErrorInName.__name__ = ValueErrorInName.__qualname__ = "ValueError"


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no")


def crossed(error: BaseException) -> Exception:
    """The error as the grading side raises it: described, encoded, decoded."""
    data = describe_exception(error, error.__traceback__)
    return student_error(round_trip(data))


def test_a_builtin_exception_arrives_as_a_student_error_that_is_also_the_builtin() -> None:
    error = crossed(ValueError("bad input"))
    assert isinstance(error, StudentError) and isinstance(error, ValueError)
    assert error.type_name == "ValueError" and error.message == "bad input"
    # Shown as the student's own would be: "ValueError: bad input" in a traceback.
    assert type(error).__name__ == "ValueError" and str(error) == "bad input"
    with pytest.raises(ValueError, match="bad input"):
        raise error
    subclass = crossed(StudentsError("k"))
    assert isinstance(subclass, KeyError) and isinstance(subclass, StudentError)
    assert subclass.type_name.endswith("StudentsError")
    assert str(subclass).endswith("StudentsError: 'k'")  # a class of the student's: named
    assert isinstance(crossed(np.linalg.LinAlgError("singular")), ValueError)


def test_other_exceptions_are_plain_student_errors() -> None:
    for error in [
        ValueErrorInName("named like one"),
        SystemExit(3),
        KeyboardInterrupt(),
        StopIteration(),
        AssertionError("x"),
        OSError("disk"),
    ]:
        arrived = crossed(error)
        assert type(arrived) is StudentError, error
    assert crossed(ValueErrorInName("x")).type_name.endswith("ValueError")


def test_not_implemented_error_arrives_as_itself() -> None:
    for error in [NotImplementedError("write me"), type("Todo", (NotImplementedError,), {})()]:
        arrived = crossed(error)
        assert type(arrived) is NotImplementedError
        assert not isinstance(arrived, StudentError)
    assert str(crossed(NotImplementedError("write me"))) == "write me"


def test_messages_are_capped_and_a_broken_str_is_survived() -> None:
    assert len(crossed(ValueError("x" * 100_000)).message) <= 2000  # type: ignore[attr-defined]
    arrived = crossed(Unprintable())
    assert isinstance(arrived, StudentError) and "could not be read" in arrived.message
    malformed = student_error({"type": 1, "message": "m"})
    assert isinstance(malformed, BoundaryError)


def test_student_errors_pickle() -> None:
    error = crossed(ValueError("bad"))
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and isinstance(back, ValueError)
    assert (back.type_name, back.message) == ("ValueError", "bad")  # type: ignore[attr-defined]


# --- End to end: a student process --------------------------------------------------------------

STUDENT_CODE = '''
import sys
import weakref
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

CALLS = []
ALIVE = weakref.WeakSet()


def answer():
    return 42


def scale(x, factor=2.0):
    return np.asarray(x) * factor


def float32():
    return np.float32(0.5)


def loaded_autograder():
    return sorted(
        name for name, module in sys.modules.items()
        if name.split(".")[0] == "autograder" and module is not None
    )


def same(a, b):
    return a is b


def identity(x):
    return x


def squares(n):
    return (i * i for i in range(n))


def counts():
    import collections
    return collections.OrderedDict({0: 5, 1: 7})


def reset_counter(counter):
    counter.calls = 0


def ask_tests(op):
    """A lookup or import sent to the tests' side, which must refuse it."""
    package = next(
        module for key, module in list(sys.modules.items())
        if key.startswith("_autograder_boundary_test_") and hasattr(module, "channel")
    )
    peer = next(o for o in __import__("gc").get_objects() if type(o) is package.channel.Peer)
    return peer._request({"op": op, "name": "os"}, "asking")


def call_back(function, *args):
    return function(*args)


def probe(thing, name):
    """Ask the tests' object for an attribute as a hostile student would: straight through
    the connection, past the Remote's own refusal of underscore names."""
    package = next(
        module for key, module in list(sys.modules.items())
        if key.startswith("_autograder_boundary_test_") and hasattr(module, "handles")
    )
    return package.handles.handle_of(thing)[2].remote_getattr(thing, name)


class Accumulator:
    def __init__(self, start=0):
        self.total = start
        self.history = []
        ALIVE.add(self)

    def add(self, n):
        self.total += n
        self.history.append(n)
        return self

    def summary(self):
        return {"total": self.total, "history": list(self.history)}


def alive():
    return len(ALIVE)


class Sneaky:
    """Says yes to every question, and writes down that it was asked."""

    def ping(self):
        CALLS.append("ping")
        return "pong"

    def __getattr__(self, name):
        CALLS.append("getattr " + name)
        raise AttributeError(name)

    def __array__(self, *args, **kwargs):
        CALLS.append("__array__")
        return np.ones(3)

    @property
    def __array_interface__(self):
        CALLS.append("__array_interface__")
        return np.ones(3).__array_interface__

    def __format__(self, spec):
        CALLS.append("__format__")
        return "formatted"


for _name, _result in [
    ("__eq__", True), ("__ne__", False), ("__lt__", True), ("__le__", True), ("__gt__", True),
    ("__ge__", True), ("__bool__", True), ("__len__", 3), ("__hash__", 0), ("__float__", 1.0),
    ("__int__", 1), ("__index__", 1), ("__complex__", 1j), ("__contains__", True),
    ("__iter__", iter([1.0, 1.0, 1.0])), ("__abs__", 1), ("__add__", 2), ("__radd__", 2),
    ("__sub__", 0), ("__rsub__", 0), ("__round__", 1),
]:
    def _method(self, *args, _name=_name, _result=_result):
        CALLS.append(_name)
        return _result
    setattr(Sneaky, _name, _method)


class TrueInt(int):
    def __eq__(self, other):
        CALLS.append("TrueInt.__eq__")
        return True

    __hash__ = int.__hash__


def make_sneaky():
    return Sneaky()


def make_true_int():
    return TrueInt(3)


def sneaky_list():
    return [Sneaky(), 1, TrueInt(2)]


def fail():
    raise ValueError("bad input")


class MyKeyError(KeyError):
    pass


def fail_custom():
    raise MyKeyError("k")


def todo():
    raise NotImplementedError("write me")


def leave():
    sys.exit(3)


def too_long():
    return "x" * (8 * 2**20 + 1)


def spin():
    while True:
        pass


class NearestCentroid(ClassifierMixin, BaseEstimator):
    def __init__(self, shrink=0.0):
        self.shrink = shrink

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.centroids_ = np.array([X[y == c].mean(axis=0) for c in self.classes_])
        return self

    def predict(self, X):
        distances = ((X[:, None, :] - self.centroids_[None]) ** 2).sum(-1)
        return self.classes_[distances.argmin(1)]


class Boastful(NearestCentroid):
    """Predicts the wrong class and says its score is perfect."""

    def predict(self, X):
        return 1 - super().predict(X)

    def score(self, X, y, sample_weight=None):
        return 1.0
'''


class Student:
    """A student process serving a namespace, and the trusted side's Peer to it."""

    def __init__(self, code: str, timeout: float = 30.0) -> None:
        grading, student = socket.socketpair()
        package = f"_autograder_boundary_test_{os.getpid()}"
        program = (
            "import sys\n"
            "sys.modules['autograder'] = None  # the kernel cannot import our package\n"
            + kernel_program(package)
            + "import socket\n"
            + "namespace = {'__name__': '__main__'}\n"
            + f"exec(compile({code!r}, '<student>', 'exec'), namespace)\n"
            + f"channel = sys.modules[{package!r}].channel\n"
            + f"channel.Peer(socket.socket(fileno={student.fileno()}), namespace, "
            + "channel.STUDENT_SERVES, None).serve()\n"
        )
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", program], pass_fds=[student.fileno()], env=env
        )
        student.close()
        self.client = Peer(grading, timeout=timeout)

    def __getitem__(self, name: str) -> Any:
        return self.client.lookup(name)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.client.shutdown()
            assert self.process.wait(timeout=30) == 0
        else:
            self.client.close()


@pytest.fixture(scope="module")
def student() -> Iterator[Student]:
    running = Student(STUDENT_CODE)
    yield running
    running.stop()


def test_the_student_side_runs_without_our_package(student: Student) -> None:
    assert student["loaded_autograder"]() == []
    assert student["answer"]() == 42


def test_a_student_function_returning_an_array_crosses_as_data(student: Student) -> None:
    scale = student["scale"]
    assert isinstance(scale, Remote)
    data = np.arange(5.0)
    result = scale(data)
    assert type(result) is np.ndarray and same(result, data * 2)
    assert same(scale(data, factor=3), data * 3)
    assert same(scale([1, 2]), np.array([2.0, 4.0]))
    assert same(student["float32"](), 0.5)
    assert same(student["scale"](np.arange(3, dtype="<i2"), factor=1), np.arange(3, dtype="<i2"))


def test_a_student_objects_methods_are_called_through_handles(student: Student) -> None:
    accumulator = student["Accumulator"](start=1)
    assert isinstance(accumulator, Remote)
    chained = accumulator.add(2).add(3)
    assert isinstance(chained, Remote)
    assert accumulator.total == 6
    assert accumulator.history == [2, 3]
    assert accumulator.summary() == {"total": 6, "history": [2, 3]}
    assert student["same"](chained, accumulator) is True  # both handles name one object
    assert student["same"](student["identity"](accumulator), accumulator) is True
    counts = student["counts"]()  # a dict subclass: not plain data, so a handle
    assert isinstance(counts, Remote)
    assert counts[1] == 7
    with pytest.raises(KeyError):
        counts[2]
    with pytest.raises(AttributeError):
        accumulator.missing  # noqa: B018
    assert not hasattr(accumulator, "missing")


def test_released_handles_let_the_student_side_free_its_objects(student: Student) -> None:
    gc.collect()
    alive = student["alive"]
    before = alive()
    accumulators = [student["Accumulator"]() for _ in range(3)]
    assert alive() == before + 3
    del accumulators
    gc.collect()
    assert alive() == before  # the ids rode along with this very request
    kept = student["Accumulator"]()
    student.client.release()
    assert alive() == before + 1
    del kept


def test_the_grading_side_never_calls_the_students_answers(student: Student) -> None:
    sneaky = student["make_sneaky"]()
    assert isinstance(sneaky, Remote)
    for name, operation in REFUSED.items():
        with pytest.raises(TypeError):
            operation(sneaky)
        assert student["CALLS"] == [], name
    true_int = student["make_true_int"]()
    assert isinstance(true_int, Remote), "an int subclass is not an int"
    with pytest.raises(TypeError):
        true_int == 3  # noqa: B015
    items = student["sneaky_list"]()
    assert type(items) is list and isinstance(items[0], Remote) and items[1] == 1
    assert isinstance(items[2], Remote)
    assert not hasattr(sneaky, "__array_interface__")
    assert student["CALLS"] == []
    assert sneaky.ping() == "pong"  # a method the test calls is asked, and recorded
    assert student["CALLS"] == ["ping"]


def test_cross_val_score_drives_a_student_estimator(student: Student) -> None:
    from sklearn.model_selection import cross_val_score

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(2.5, 1, (40, 2))])
    y = np.repeat([0, 1], 40)
    local: dict[str, Any] = {"__name__": "local"}
    exec(compile(STUDENT_CODE, "<local copy>", "exec"), local)
    expected = cross_val_score(local["NearestCentroid"](), X, y, cv=4, error_score="raise")

    estimator = student["NearestCentroid"]()
    scores = cross_val_score(estimator, X, y, cv=4, error_score="raise")
    assert same(scores, expected) and 0.7 < scores.mean() <= 1
    teachers = cross_val_score(estimator, X, y, cv=4, scoring="accuracy", error_score="raise")
    assert same(teachers, expected)
    predicted = estimator.fit(X, y).predict(X)
    assert type(predicted) is np.ndarray
    assert same(predicted, local["NearestCentroid"]().fit(X, y).predict(X))
    assert estimator.get_params() == {"shrink": 0.0}

    boastful = student["Boastful"]()
    # With sklearn's default scorer the estimator's own score() decides: the student's.
    assert same(cross_val_score(boastful, X, y, cv=4), np.ones(4))
    # With the teacher's scorer, predictions cross as data and are scored here.
    honest = cross_val_score(boastful, X, y, cv=4, scoring="accuracy", error_score="raise")
    assert np.allclose(honest, 1 - expected)


def test_student_exceptions_arrive_as_data(student: Student) -> None:
    with pytest.raises(ValueError, match="bad input") as raised:
        student["fail"]()
    error = raised.value
    assert isinstance(error, StudentError) and error.type_name == "ValueError"
    assert 'File "<student>"' in error.traceback and "in fail" in error.traceback
    assert "_dispatch" not in error.traceback and "channel" not in error.traceback
    with pytest.raises(KeyError) as custom:
        student["fail_custom"]()
    assert isinstance(custom.value, StudentError)
    assert custom.value.type_name == "__main__.MyKeyError"
    with pytest.raises(NotImplementedError, match="write me") as todo:
        student["todo"]()
    assert type(todo.value) is NotImplementedError
    with pytest.raises(StudentError, match="SystemExit") as left:
        student["leave"]()
    assert type(left.value) is StudentError
    with pytest.raises(NameError, match="not defined in the student's code"):
        student["undefined_name"]
    assert student["answer"]() == 42


def test_what_cannot_cross_is_refused_and_the_connection_goes_on(student: Student) -> None:
    with pytest.raises(BoundaryError, match="MAX_STRING_CHARS"):
        student["too_long"]()
    other = Remote(Recorder(), 1, "x")
    with pytest.raises(BoundaryError, match="another connection"):
        student["identity"](other)
    assert student["answer"]() == 42


def test_what_the_tests_hand_over_crosses_as_a_handle_and_comes_back_as_itself(
    student: Student,
) -> None:
    def teacher(x: int) -> int:
        return x + 1

    assert student["identity"](teacher) is teacher
    assert student["call_back"](teacher, 41) == 42


def test_an_object_sent_twice_is_one_remote_so_identity_holds(student: Student) -> None:
    accumulator = student["Accumulator"]()
    assert accumulator.add(1) is accumulator  # add returns self: one handle, one Remote
    assert student["identity"](accumulator) is accumulator
    assert accumulator is not student["Accumulator"]()


def test_a_remote_that_is_dropped_releases_its_object_only_when_every_copy_is(
    student: Student,
) -> None:
    accumulator = student["Accumulator"]()
    again = student["identity"](accumulator)
    assert again is accumulator
    del again  # the same Remote: nothing to release yet
    accumulator.add(5)
    assert accumulator.total == 5


def test_generators_and_views_the_student_returns_come_as_lists(student: Student) -> None:
    assert student["call_back"](student["identity"], None) is None
    assert student["squares"](4) == [0, 1, 4, 9]


def test_the_student_calls_back_the_tests_and_calls_nest(student: Student) -> None:
    calls: list[object] = []

    def teacher(x: object) -> object:
        calls.append(x)
        return student["answer"]() if x == "again" else x

    assert student["call_back"](teacher, "again") == 42
    assert calls == ["again"]
    assert student["call_back"](student["call_back"], teacher, 7) == 7


def test_the_tests_answer_the_student_only_about_what_they_handed_over(student: Student) -> None:
    def teacher() -> int:
        return 1

    # The refusal reaches the student's code as a BoundaryError, which its side then
    # reports as a refusal too.
    with pytest.raises(BoundaryError, match="public names only"):
        student["probe"](teacher, "__globals__")
    with pytest.raises(BoundaryError, match="public names only"):
        student["probe"](teacher, "_private")
    with pytest.raises(BoundaryError, match="does not answer"):
        student["ask_tests"]("lookup")
    with pytest.raises(BoundaryError, match="does not answer"):
        student["ask_tests"]("import")

    class Counter:
        calls = 3

    counter = Counter()
    with pytest.raises(BoundaryError, match="does not answer"):
        student["reset_counter"](counter)  # the test's count is the test's
    assert counter.calls == 3
    assert student["answer"]() == 42


def test_a_call_that_never_returns_hits_its_deadline() -> None:
    running = Student(
        "def spin():\n    while True:\n        pass\n\ndef answer():\n    return 42\n"
    )
    try:
        assert running["answer"]() == 42
        spin = running["spin"]
        running.client.timeout = 0.5
        start = time.monotonic()
        with pytest.raises(TimeoutError, match=r"did not answer within 0\.5 s"):
            spin()
        assert 0.5 <= time.monotonic() - start < 3
        running.process.send_signal(signal.SIGINT)  # what the kernel's interrupt does
        running.client.timeout = 10
        assert running["answer"]() == 42  # the interrupted call's answer was dropped
    finally:
        running.stop()


def test_a_student_side_that_dies_is_a_boundary_error() -> None:
    running = Student("import os\ndef die():\n    os._exit(0)\n")
    with pytest.raises(BoundaryError, match="closed the connection"):
        running["die"]()
    with pytest.raises(BoundaryError, match="unusable"):
        running["die"]
    assert running.process.wait(timeout=10) == 0
    running.stop()


def test_check_is_fitted_works_on_a_students_estimator(student: Student) -> None:
    """NearestCentroid has no __sklearn_is_fitted__: sklearn's rule (an attribute ending
    in "_") is applied where the estimator is, since a handle has no vars()."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    estimator = student["NearestCentroid"]()
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
    estimator.fit(np.array([[0.0], [1.0]]), np.array([0, 1]))
    check_is_fitted(estimator)


def test_a_test_sets_attributes_and_items_of_the_students_objects(student: Student) -> None:
    accumulator = student["Accumulator"]()
    accumulator.total = 10
    assert accumulator.add(1).total == 11
    table = student["Accumulator"]().history  # a list: data, a copy
    assert table == []
    holder = student["counts"]()  # an OrderedDict: a handle
    holder[5] = "five"
    assert holder[5] == "five"
    with pytest.raises(TypeError, match="assigned the attribute"):
        accumulator._private = 1


def test_a_test_rebinds_and_deletes_the_students_names(student: Student) -> None:
    """As nbgrader's own test of a function's use of another: delete it, call, put it back."""
    answer = student["answer"]
    student.client.delete("answer")
    with pytest.raises(NameError):
        student["answer"]
    student.client.assign("answer", lambda: 7)  # a stand-in of the test's: a handle there
    assert student["answer"]() == 7
    student.client.assign("answer", answer)  # the student's own function, back
    assert student["answer"]() == 42
    with pytest.raises(NameError):
        student.client.delete("never_defined")
