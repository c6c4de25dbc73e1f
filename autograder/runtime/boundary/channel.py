"""Requests between the two kernels over a connected stream socket.

Each end (a Peer) sends requests and answers the other's. The trusted kernel, which runs
the tests, asks the student's kernel (which answers while a test runs, serve_at):

    lookup   a global name of the student's namespace     -> its value
    assign   a global name of the student's namespace is bound to a value
    delete   a global name of the student's namespace is removed
    getattr  an attribute of a handle                      -> its value
    setattr  a public attribute of a handle is set
    call     a handle, with args and kwargs                -> the return value
    getitem  a handle's item                               -> its value
    setitem  a handle's item is set
    import   a module of the student's side, by name       -> a handle to it
    release  nothing (ids to forget ride along every request, see below)
    pause    the loop returns after answering; the connection and the handles stay, for
             the next serve() (the next test)
    shutdown the loop ends after answering

and the student's code, while it runs for a test, may ask the trusted kernel getattr,
call and getitem about the objects the test handed it (TRUSTED_SERVES), never more.

Each value comes back as plain data, or as a handle (a Remote) when it is not.
Arguments are plain data or Remotes; any other object of the sender's goes as a handle of
its own. An exception of the code called comes back as data and is raised at the caller
(handles.student_error); a request the other end cannot read, or a result too large to
send, comes back as "refused" and is raised as BoundaryError.

Frames: b"AGB1", the body's length (8 bytes, big-endian), then the body: the header's
length and the number of buffers (4 bytes each), each buffer's length (8 bytes), the
codec's JSON header, the buffers. A frame is at most MAX_FRAME_BYTES; a larger length is
refused before anything is allocated for it.

Deadlines: every request of the trusted end has one (`timeout`, seconds, for the whole call:
sending, the student's code running, reading the answer) and raises TimeoutError when it
passes. The call is then abandoned, not the connection: a partly read answer is kept and
finished later, every request carries a sequence number, and answers to abandoned
requests are read and dropped. The student's side is still busy with it, though; the
owner of the student's process should interrupt it (SIGINT: KeyboardInterrupt in the
student's code, which serve answers like any exception) or end it.

Handles are released without a message of their own: a Remote that is garbage-collected
queues its id and how often it came (Peer.forget, safe from `__del__` at any moment),
and the next request carries them to the owner, which drops an object once every copy it
sent is released (handles.HandleTable).

This file, handles.py and codec.py need the standard library and numpy only: they are
sent as source into both kernels (boundary.kernel_program), where they import each other
relatively (`from . import codec`) inside a package of a random name.
"""

from __future__ import annotations

import collections
import functools
import importlib
import socket
import struct
import threading
import time
import types
import weakref
from collections.abc import Mapping
from typing import Any

from . import codec
from .codec import BoundaryError
from .handles import (
    FORWARDED_DUNDERS,
    HandleTable,
    Remote,
    describe_exception,
    handle_of,
    student_error,
)

MAGIC = b"AGB1"
_PREFIX = struct.Struct("!4sQ")
_COUNTS = struct.Struct("!II")
_LENGTH = struct.Struct("!Q")
MAX_FRAME_BYTES = (
    _COUNTS.size + codec.MAX_BUFFERS * _LENGTH.size + codec.MAX_HEADER_BYTES + codec.MAX_TOTAL_BYTES
)
"""A body of the largest header and buffers the codec makes."""
DEFAULT_TIMEOUT = 30.0
"""Seconds a call may take, unless Peer(timeout=...) says otherwise."""
_JOIN_BELOW = 1 << 20
"""Frames smaller than this are sent as one bytes object (one system call): most are."""
_READ_AHEAD = 1 << 16
"""Bytes asked of one recv while a frame is small or its length not yet known."""
OPS = frozenset(
    {
        "lookup",
        "assign",
        "delete",
        "import",
        "getattr",
        "setattr",
        "call",
        "getitem",
        "setitem",
        "release",
        "pause",
        "shutdown",
    }
)

Frame = tuple[memoryview, list[memoryview]]


# --- Frames --------------------------------------------------------------------------------


def send_frame(sock: socket.socket, header: bytes, buffers: list[codec.Buffer]) -> None:
    """Send one frame (the socket's timeout, if any, bounds the whole of it)."""
    lengths = [memoryview(buffer).nbytes for buffer in buffers]
    size = _COUNTS.size + _LENGTH.size * len(buffers) + len(header) + sum(lengths)
    if size > MAX_FRAME_BYTES:
        raise BoundaryError(f"a message of over MAX_FRAME_BYTES = {MAX_FRAME_BYTES} bytes")
    head = b"".join(
        [
            _PREFIX.pack(MAGIC, size),
            _COUNTS.pack(len(header), len(buffers)),
            *(_LENGTH.pack(length) for length in lengths),
            header,
        ]
    )
    if size < _JOIN_BELOW:
        sock.sendall(b"".join([head, *buffers]))
        return
    sock.sendall(head)
    for buffer in buffers:
        sock.sendall(buffer)


def _split(body: bytearray) -> Frame:
    view = memoryview(body)
    if len(view) < _COUNTS.size:
        raise BoundaryError("a frame too short for its counts")
    header_length, count = _COUNTS.unpack_from(view)
    if count > codec.MAX_BUFFERS:
        raise BoundaryError(f"a frame of over MAX_BUFFERS = {codec.MAX_BUFFERS} buffers")
    offset = _COUNTS.size + _LENGTH.size * count
    if offset > len(view):
        raise BoundaryError("a frame too short for its buffer lengths")
    lengths = [_LENGTH.unpack_from(view, _COUNTS.size + _LENGTH.size * i)[0] for i in range(count)]
    if offset + header_length + sum(lengths) != len(view):
        raise BoundaryError("a frame whose parts do not add up to its length")
    header = view[offset : offset + header_length]
    offset += header_length
    buffers = []
    for length in lengths:
        buffers.append(view[offset : offset + length])
        offset += length
    return header, buffers


class FrameReader:
    """Reads frames from a socket, keeping a partly read frame across deadlines: a call
    that timed out halfway through an answer leaves the stream where it was, and the next
    read goes on from there. Small frames arrive whole in one recv (bytes beyond the frame
    wait for the next read); a large one is read into its own buffer, allocated once its
    length has been checked."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._pending = bytearray()
        self._body: bytearray | None = None
        self._filled = 0

    def read(self, deadline: float | None) -> Frame | None:
        """The next frame; None at the end of the stream between frames. TimeoutError when
        `deadline` (time.monotonic()) passes, BoundaryError for a stream that is not ours."""
        while self._body is None:
            pending = self._pending
            if len(pending) >= _PREFIX.size:
                magic, size = _PREFIX.unpack_from(pending)
                if magic != MAGIC:
                    raise BoundaryError("a message that does not start as one of ours")
                if size > MAX_FRAME_BYTES:
                    raise BoundaryError(
                        f"a message of {size} bytes, over MAX_FRAME_BYTES = {MAX_FRAME_BYTES}"
                    )
                end = _PREFIX.size + size
                if len(pending) >= end:
                    body = pending[_PREFIX.size : end]
                    del pending[:end]
                    return _split(body)
                if size > _READ_AHEAD:
                    self._body = bytearray(size)
                    self._filled = len(pending) - _PREFIX.size
                    self._body[: self._filled] = pending[_PREFIX.size :]
                    self._pending = bytearray()
                    break
            chunk = self._recv(_READ_AHEAD, deadline)
            if not chunk:
                if pending:
                    raise BoundaryError("the connection closed in the middle of a message")
                return None
            pending += chunk
        body = self._body
        view = memoryview(body)
        while self._filled < len(body):
            received = self._recv_into(view[self._filled :], deadline)
            if not received:
                raise BoundaryError("the connection closed in the middle of a message")
            self._filled += received
        self._body = None
        return _split(body)

    def _wait(self, deadline: float | None) -> None:
        if deadline is None:
            self._sock.settimeout(None)
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        self._sock.settimeout(remaining)

    def _recv(self, size: int, deadline: float | None) -> bytes:
        self._wait(deadline)
        return self._sock.recv(size)

    def _recv_into(self, view: memoryview, deadline: float | None) -> int:
        self._wait(deadline)
        return self._sock.recv_into(view)


# --- Both sides ----------------------------------------------------------------------------


STUDENT_SERVES = frozenset(OPS)
"""The student's kernel answers every request: it is the trusted kernel that asks."""
TRUSTED_SERVES = frozenset({"getattr", "call", "getitem", "release"})
"""The trusted kernel answers only requests about objects the teacher's code handed the
student's (a callback, an environment of the teacher's): never a lookup of its names, an
import, or a pause. Nor a name starting with an underscore, but for sklearn's protocol and a
function's name (handles.FORWARDED_DUNDERS)."""


_LAZY = frozenset(
    {
        types.GeneratorType,
        map,
        filter,
        zip,
        enumerate,
        reversed,
        range,
        type({}.keys()),
        type({}.values()),
        type({}.items()),
    }
)
"""Iterables a call may return that an answer gives as the list of their items (a
generator of neighbours, a dict's keys): a handle to one could only be iterated by asking
for each item."""


def _has_fitted_attributes(estimator: object) -> bool:
    """scikit-learn's check_is_fitted, for an estimator without __sklearn_is_fitted__: does
    it have an attribute ending in "_" (its rule)? Asked where the estimator is, since the
    other side's handle has no vars() to look at."""
    return any(key.endswith("_") and not key.startswith("__") for key in vars(estimator))


class _Undefined(Exception):
    """A lookup of a name the namespace does not have (no traceback of ours to send)."""


class Peer:
    """One end of the connection between the two kernels. Each end sends requests and
    answers the other's: while it waits for the answer to its own request, it answers the
    requests that come first (the student's code calling back a function the test handed
    it, which may call the student's code again: calls nest like a call stack).

    `namespace`: the names a lookup may read (the student's end); `serves`: the requests
    this end answers; `timeout`: seconds each of this end's own requests may take (None:
    no deadline, the student's end, whose requests the trusted end answers at once).
    Objects that are not plain data cross as handles, kept in this end's table."""

    def __init__(
        self,
        sock: socket.socket,
        namespace: Mapping[str, object] | None = None,
        serves: frozenset[str] = TRUSTED_SERVES,
        timeout: float | None = DEFAULT_TIMEOUT,
    ) -> None:
        self.timeout = timeout
        self.namespace: Mapping[str, object] = {} if namespace is None else namespace
        self.serves = serves
        self._sock = sock
        self._reader = FrameReader(sock)
        self._table = HandleTable()
        self._lock = threading.RLock()
        self._seq = 0
        self._forgotten: collections.deque[tuple[int, int]] = collections.deque()
        self._remotes: weakref.WeakValueDictionary[int, Remote] = weakref.WeakValueDictionary()
        """One Remote per id of the other side's, while it lives: `a is b` holds here when
        it holds there."""
        self._received: dict[int, int] = {}
        """How often each id was received, for its release (HandleTable.release)."""
        self._broken: str | None = None
        self._stop: str | None = None
        self._pending: set[int] = set()
        """This end's requests still waiting for their answers (nested calls)."""
        self._answers: dict[int, dict[str, Any]] = {}
        """Answers read while a request further in waited for its own."""

    # Serving.

    def serve(self) -> bool:
        """Answer the other end's requests until it pauses (True: serve again later, with
        the same handles) or shuts down or closes the connection (False)."""
        with self._lock:
            self._stop = None
            while self._stop is None:
                try:
                    frame = self._reader.read(None)
                except KeyboardInterrupt:
                    continue  # an interrupt meant for a call that had already ended
                except (BoundaryError, OSError):
                    return False  # the stream is not readable any more: nothing to answer
                if frame is None:
                    return False
                self._handle(frame)
            return self._stop == "pause"

    def _handle(self, frame: Frame) -> None:
        """Answer the frame if it is a request; keep it if it answers one of this end's
        requests still waiting (an answer to one abandoned at its deadline is dropped)."""
        try:
            message = codec.decode(frame[0], frame[1], resolve=self._resolve)
        except BoundaryError as error:
            if self.serves is not STUDENT_SERVES:
                self._broken = f"the other side sent a malformed message: {error}"
                raise
            self._send({"seq": -1, "refused": str(error)})  # to the trusted end's request
            return
        if type(message) is not dict or "op" not in message:
            got = message.get("seq") if type(message) is dict else None
            if got in self._pending or (got == -1 and self._pending):
                self._answers[max(self._pending) if got == -1 else got] = message  # type: ignore[index,assignment]
            elif type(got) is not int or got > self._seq:
                self._broken = "an answer to a request never made"
                raise BoundaryError(self._broken)
            return
        self._send(self._answer(message))

    def _answer(self, request: dict[str, Any]) -> dict[str, object]:
        seq = request.get("seq")
        if type(seq) is not int:
            return {"seq": -1, "refused": "a request without a sequence number"}
        op, release = request.get("op"), request.get("release")
        if type(op) is not str or op not in OPS:
            return {"seq": seq, "refused": f"an unknown request {str(op)[:40]!r}"}
        if op not in self.serves:
            return {"seq": seq, "refused": f"a {op} request, which this side does not answer"}
        if type(release) is not list or not all(
            type(pair) is tuple and len(pair) == 2 and type(pair[0]) is int and type(pair[1]) is int
            for pair in release
        ):
            return {"seq": seq, "refused": "a request without a list of handles to release"}
        self._table.release(release)
        try:
            value = self._dispatch(op, request)
        except BoundaryError as error:
            return {"seq": seq, "refused": str(error)}
        except _Undefined as error:
            return {"seq": seq, "error": describe_exception(NameError(str(error)), None)}
        except BaseException as error:  # the code called, whatever it raised (even SystemExit)
            tb = error.__traceback__
            while tb is not None and tb.tb_frame.f_code in _OWN_CODE:
                tb = tb.tb_next
            return {"seq": seq, "error": describe_exception(error, tb)}
        if op in ("pause", "shutdown"):
            self._stop = op
        if type(value) in _LAZY:
            try:
                value = list(value)  # type: ignore[call-overload]
            except BaseException as error:
                return {"seq": seq, "error": describe_exception(error, error.__traceback__)}
        return {"seq": seq, "ok": value}

    def _dispatch(self, op: str, request: dict[str, Any]) -> object:
        if op == "lookup":
            name = _field(request, "name", str)
            try:
                return self.namespace[name]
            except KeyError:
                raise _Undefined(f"name {name!r} is not defined in the student's code") from None
        if op == "assign":
            self.namespace[_field(request, "name", str)] = request.get("value")  # type: ignore[index]
            return None
        if op == "delete":
            name = _field(request, "name", str)
            try:
                del self.namespace[name]  # type: ignore[attr-defined]
            except KeyError:
                raise _Undefined(f"name {name!r} is not defined in the student's code") from None
            return None
        if op == "import":
            return importlib.import_module(_field(request, "name", str))
        if op == "setattr":
            name = _field(request, "name", str)
            if name.startswith("_"):
                raise BoundaryError(f"{name!r}: only public attributes are set")
            setattr(request.get("target"), name, request.get("value"))
            return None
        if op == "setitem":
            if "key" not in request:
                raise BoundaryError("a setitem request without a key")
            request.get("target")[request["key"]] = request.get("value")  # type: ignore[index]
            return None
        if op == "getattr":
            name = _field(request, "name", str)
            if (
                self.serves is TRUSTED_SERVES
                and name.startswith("_")
                and name not in FORWARDED_DUNDERS
            ):
                raise BoundaryError(f"{name!r}: the tests' objects answer public names only")
            target: Any = request.get("target")
            if name == "__sklearn_is_fitted__" and not hasattr(target, name):
                return functools.partial(_has_fitted_attributes, target)
            return getattr(target, name)
        if op == "call":
            target = request.get("target")
            return target(*_field(request, "args", list), **_field(request, "kwargs", dict))
        if op == "getitem":
            if "key" not in request:
                raise BoundaryError("a getitem request without a key")
            container: Any = request.get("target")
            return container[request["key"]]
        return None  # release (done before), pause and shutdown (the loop ends)

    def _send(self, reply: dict[str, object]) -> None:
        """Send an answer; one that cannot be encoded is sent as a refusal instead."""
        added: list[int] = []

        def handle_for(value: object) -> tuple[int, str, bool] | None:
            handle = self._handle_for(value)
            if handle is not None and not handle[2]:
                added.append(handle[0])
            return handle

        try:
            header, buffers = codec.encode(reply, handle_for=handle_for)
        except BoundaryError as error:
            self._table.release((handle_id, 1) for handle_id in added)
            refusal = {"seq": reply["seq"], "refused": f"the answer cannot cross: {error}"}
            header, buffers = codec.encode(refusal)
        try:
            self._sock.settimeout(None)
            send_frame(self._sock, header, buffers)
        except OSError as error:
            self._broken = f"sending failed: {error}"

    # Requesting.

    def lookup(self, name: str) -> Any:
        """A global name of the student's namespace: its value, or a Remote. A name the
        student did not define raises NameError (a StudentError)."""
        return self._request({"op": "lookup", "name": name}, f"looking up {name!r}")

    def module(self, name: str) -> Any:
        """A module as the student's side imports it (a Remote): where a test must hand the
        student's code a live object (an environment, an estimator), it is built there,
        from this recipe, e.g. `peer.module("gymnasium").make("FrozenLake-v1")`."""
        return self._request({"op": "import", "name": name}, f"importing {name!r}")

    def remote_getattr(self, target: Remote, name: str) -> Any:
        return self._request(
            {"op": "getattr", "target": target, "name": name}, f"getting {target!r}.{name}"
        )

    def remote_call(self, target: Remote, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self._request(
            {"op": "call", "target": target, "args": list(args), "kwargs": kwargs},
            f"calling {target!r}",
        )

    def remote_getitem(self, target: Remote, key: Any) -> Any:
        return self._request(
            {"op": "getitem", "target": target, "key": key}, f"getting an item of {target!r}"
        )

    def remote_setattr(self, target: Remote, name: str, value: Any) -> None:
        self._request(
            {"op": "setattr", "target": target, "name": name, "value": value},
            f"setting {target!r}.{name}",
        )

    def remote_setitem(self, target: Remote, key: Any, value: Any) -> None:
        self._request(
            {"op": "setitem", "target": target, "key": key, "value": value},
            f"setting an item of {target!r}",
        )

    def assign(self, name: str, value: Any) -> None:
        """Bind a global name of the student's namespace (a test rebinding the student's
        function to a stand-in, or back)."""
        self._request({"op": "assign", "name": name, "value": value}, f"assigning {name!r}")

    def delete(self, name: str) -> None:
        """Remove a global name of the student's namespace (NameError if it has none)."""
        self._request({"op": "delete", "name": name}, f"deleting {name!r}")

    def release(self) -> None:
        """Send the ids of the Remotes collected so far now, not with the next request."""
        self._request({"op": "release"}, "releasing handles")

    def pause(self) -> None:
        """End the other end's serve loop (it answers first); the connection and the
        handles stay for its next serve()."""
        self._request({"op": "pause"}, "pausing")

    def shutdown(self) -> None:
        """End the other end's serve loop (it answers first), then this connection."""
        try:
            self._request({"op": "shutdown"}, "shutting down")
        finally:
            self.close()

    def close(self) -> None:
        self._broken = self._broken or "the connection was closed"
        self._sock.close()

    def forget(self, handle_id: int) -> None:
        """From Remote.__del__, at any moment, even inside a request of this thread: only
        queues the id and how often it was received (deque.append is atomic)."""
        self._forgotten.append((handle_id, self._received.pop(handle_id, 0)))

    # The machinery.

    def _handle_for(self, value: object) -> tuple[int, str, bool] | None:
        if type(value) is Remote:
            handle_id, name, forwarder = handle_of(value)
            if forwarder is not self:
                raise BoundaryError(f"{value!r} belongs to another connection")
            return handle_id, name, True
        handle_id, name = self._table.add(value)
        return handle_id, name, False

    def _resolve(self, handle_id: int, name: str, back: bool) -> object:
        if back:
            return self._table.get(handle_id, name)
        remote = self._remotes.get(handle_id)
        if remote is None:
            remote = self._remotes[handle_id] = Remote(self, handle_id, name)
        self._received[handle_id] = self._received.get(handle_id, 0) + 1
        return remote

    def _take_forgotten(self) -> list[tuple[int, int]]:
        ids = []
        while True:
            try:
                ids.append(self._forgotten.popleft())
            except IndexError:
                return ids

    def _request(self, message: dict[str, Any], doing: str) -> Any:
        with self._lock:
            if self._broken:
                raise BoundaryError(
                    f"the connection to the other kernel is unusable: {self._broken}"
                )
            self._seq += 1
            seq = self._seq
            release = self._take_forgotten()
            try:
                header, buffers = codec.encode(
                    {**message, "seq": seq, "release": release}, handle_for=self._handle_for
                )
            except BaseException:
                self._forgotten.extend(release)
                raise
            deadline = None if self.timeout is None else time.monotonic() + self.timeout
            try:
                self._sock.settimeout(self.timeout)
                send_frame(self._sock, header, buffers)
            except TimeoutError:
                self._broken = "a request could not be sent in time (the stream is cut mid-message)"
                raise TimeoutError(
                    f"the other side did not take the request in time ({doing})"
                ) from None
            except OSError as error:
                self._broken = f"sending failed: {error}"
                raise BoundaryError(f"the other side is gone ({doing}): {error}") from None
            self._pending.add(seq)
            try:
                while seq not in self._answers:
                    self._wait(deadline, doing)
                return self._result(self._answers.pop(seq))
            finally:
                self._pending.discard(seq)
                self._answers.pop(seq, None)

    def _wait(self, deadline: float | None, doing: str) -> None:
        """Read the next frame: an answer to one of this end's requests (kept), or a
        request of the other end (answered)."""
        try:
            frame = self._reader.read(deadline)
        except TimeoutError:
            raise TimeoutError(
                f"the other side did not answer within {self.timeout:g} s ({doing})"
            ) from None
        except BoundaryError as error:
            self._broken = str(error)
            raise
        except OSError as error:
            self._broken = f"reading failed: {error}"
            raise BoundaryError(f"the other side is gone ({doing}): {error}") from None
        if frame is None:
            self._broken = "the other side closed the connection"
            raise BoundaryError(f"the other side closed the connection ({doing})")
        self._handle(frame)

    def _result(self, reply: dict[str, Any]) -> Any:
        if len(reply) != 2:
            raise BoundaryError("an answer that is not one")
        if "ok" in reply:
            return reply["ok"]
        if "error" in reply:
            raise student_error(reply["error"])
        refused = reply.get("refused")
        if type(refused) is str:
            raise BoundaryError(f"the other side refused: {refused[:2000]}")
        raise BoundaryError("an answer that is neither a value nor an error")


def _field(request: dict[str, Any], name: str, kind: type) -> Any:
    value = request.get(name)
    if type(value) is not kind:
        raise BoundaryError(f"a {request['op']} request without a {kind.__name__} {name!r}")
    return value


_OWN_CODE = frozenset({Peer._answer.__code__, Peer._dispatch.__code__})
"""Frames of the boundary's own, left out of the tracebacks that cross."""


# --- The student's kernel ------------------------------------------------------------------


_SESSIONS: dict[str, Peer] = {}
"""The student's kernel's connections to the trusted kernel, by socket path: one for the
notebook, so handles live from one test to the next."""


def serve_at(path: str, namespace: Mapping[str, object]) -> None:
    """The student's kernel, at each test: connect to the trusted kernel's socket (the
    first time) and answer its requests until it pauses (the test cell ended)."""
    peer = _SESSIONS.get(path)
    if peer is None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        peer = _SESSIONS[path] = Peer(sock, namespace, STUDENT_SERVES, timeout=None)
    peer.namespace = namespace
    if not peer.serve():
        _SESSIONS.pop(path, None)
        peer.close()
