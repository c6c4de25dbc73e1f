"""Requests from the grading side to the student's side over a connected stream socket.

The grading side (Client) sends requests; the student's side (serve, a loop run in the
student's kernel) answers each in turn. A request is one of:

    lookup   a global name of the student's namespace     -> its value
    getattr  an attribute of a handle                      -> its value
    call     a handle, with args and kwargs                -> the return value
    getitem  a handle's item                               -> its value
    release  nothing (ids to forget ride along every request, see below)
    shutdown the loop ends after answering

and each value comes back as plain data, or as a handle (a Remote here) when it is not.
Arguments are plain data or Remotes of this connection; nothing else of the grading side
reaches the student's code. An exception of the student's code comes back as data and is
raised here (handles.student_error); a request the student's side cannot read, or a
result too large to send, comes back as "refused" and is raised as BoundaryError.

Frames: b"AGB1", the body's length (8 bytes, big-endian), then the body: the header's
length and the number of buffers (4 bytes each), each buffer's length (8 bytes), the
codec's JSON header, the buffers. A frame is at most MAX_FRAME_BYTES; a larger length is
refused before anything is allocated for it.

Deadlines: every call of the Client has one (`timeout`, seconds, for the whole call:
sending, the student's code running, reading the answer) and raises TimeoutError when it
passes. The call is then abandoned, not the connection: a partly read answer is kept and
finished later, every request carries a sequence number, and answers to abandoned
requests are read and dropped. The student's side is still busy with it, though; the
owner of the student's process should interrupt it (SIGINT: KeyboardInterrupt in the
student's code, which serve answers like any exception) or end it.

Handles are released without a message of their own: a Remote that is garbage-collected
queues its id (Client.forget, safe from `__del__` at any moment), and the next request
carries the queued ids to the student's side, which drops them from its table first.

The student's side, serve(), and what it uses (FrameReader, send_frame, codec,
handles.HandleTable, handles.describe_exception) need the standard library and numpy
only: this file, handles.py and codec.py are sent as source into the student's kernel
(boundary.student_program), where they import each other relatively (`from . import
codec`) inside a package of a random name.
"""

from __future__ import annotations

import collections
import socket
import struct
import threading
import time
from collections.abc import Mapping
from typing import Any

from . import codec
from .codec import BoundaryError
from .handles import HandleTable, Remote, describe_exception, handle_of, student_error

MAGIC = b"AGB1"
_PREFIX = struct.Struct("!4sQ")
_COUNTS = struct.Struct("!II")
_LENGTH = struct.Struct("!Q")
MAX_FRAME_BYTES = (
    _COUNTS.size + codec.MAX_BUFFERS * _LENGTH.size + codec.MAX_HEADER_BYTES + codec.MAX_TOTAL_BYTES
)
"""A body of the largest header and buffers the codec makes."""
DEFAULT_TIMEOUT = 30.0
"""Seconds a call may take, unless Client(timeout=...) says otherwise."""
_JOIN_BELOW = 1 << 20
"""Frames smaller than this are sent as one bytes object (one system call): most are."""
_READ_AHEAD = 1 << 16
"""Bytes asked of one recv while a frame is small or its length not yet known."""
OPS = frozenset({"lookup", "getattr", "call", "getitem", "release", "shutdown"})

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


# --- The student's side --------------------------------------------------------------------


def serve(sock: socket.socket, namespace: Mapping[str, object]) -> None:
    """Answer the grading side's requests until it sends shutdown or closes the connection.
    Runs in the student's kernel, with the notebook's namespace."""
    table = HandleTable()
    reader = FrameReader(sock)
    while True:
        try:
            frame = reader.read(None)
        except KeyboardInterrupt:
            continue  # an interrupt meant for a call that had already ended
        except (BoundaryError, OSError):
            return  # the stream is not readable any more: nothing to answer
        if frame is None:
            return
        reply, stop = _answer(frame, table, namespace)
        try:
            _send_reply(sock, reply, table)
        except OSError:
            return
        if stop:
            return


def _answer(
    frame: Frame, table: HandleTable, namespace: Mapping[str, object]
) -> tuple[dict[str, object], bool]:
    seq = -1
    try:
        request = codec.decode(frame[0], frame[1], resolve=table.get)
        if type(request) is not dict or type(request.get("seq")) is not int:
            raise BoundaryError("a request without a sequence number")
        seq = request["seq"]
        op, release = request.get("op"), request.get("release")
        if type(op) is not str or op not in OPS:
            raise BoundaryError(f"an unknown request {str(op)[:40]!r}")
        if type(release) is not list or any(type(i) is not int for i in release):
            raise BoundaryError("a request without a list of handle ids to release")
    except BoundaryError as error:
        return {"seq": seq, "refused": str(error)}, False
    table.release(release)
    try:
        value = _dispatch(op, request, namespace)
    except BoundaryError as error:
        return {"seq": seq, "refused": str(error)}, False
    except _Undefined as error:
        return {"seq": seq, "error": describe_exception(NameError(str(error)), None)}, False
    except BaseException as error:  # the student's code's, whatever it is (even SystemExit)
        tb = error.__traceback__
        while tb is not None and tb.tb_frame.f_code in _OWN_CODE:
            tb = tb.tb_next
        return {"seq": seq, "error": describe_exception(error, tb)}, False
    return {"seq": seq, "ok": value}, op == "shutdown"


class _Undefined(Exception):
    """A lookup of a name the namespace does not have (no traceback of ours to send)."""


def _field(request: dict[str, Any], name: str, kind: type) -> Any:
    value = request.get(name)
    if type(value) is not kind:
        raise BoundaryError(f"a {request['op']} request without a {kind.__name__} {name!r}")
    return value


def _dispatch(op: str, request: dict[str, Any], namespace: Mapping[str, object]) -> object:
    if op == "lookup":
        name = _field(request, "name", str)
        try:
            return namespace[name]
        except KeyError:
            raise _Undefined(f"name {name!r} is not defined in the student's code") from None
    if op == "getattr":
        return getattr(request.get("target"), _field(request, "name", str))
    if op == "call":
        target: Any = request.get("target")
        return target(*_field(request, "args", list), **_field(request, "kwargs", dict))
    if op == "getitem":
        if "key" not in request:
            raise BoundaryError("a getitem request without a key")
        container: Any = request.get("target")
        return container[request["key"]]
    return None  # release (done before), shutdown (the loop ends)


_OWN_CODE = frozenset({_answer.__code__, _dispatch.__code__})
"""Frames of serve's own, left out of the student's tracebacks."""


def _send_reply(sock: socket.socket, reply: dict[str, object], table: HandleTable) -> None:
    added: list[int] = []

    def handle_for(value: object) -> tuple[int, str]:
        handle = table.add(value)
        added.append(handle[0])
        return handle

    try:
        header, buffers = codec.encode(reply, handle_for=handle_for)
        sock.settimeout(None)
        send_frame(sock, header, buffers)
    except BoundaryError as error:
        table.release(added)
        refusal = {"seq": reply["seq"], "refused": f"the answer cannot cross: {error}"}
        send_frame(sock, *codec.encode(refusal))


# --- The grading side ----------------------------------------------------------------------


class Client:
    """The grading side's end: requests to the student's side, answered with plain data or
    Remotes. One call at a time (a lock), from any thread."""

    def __init__(self, sock: socket.socket, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._sock = sock
        self._reader = FrameReader(sock)
        self._lock = threading.Lock()
        self._seq = 0
        self._forgotten: collections.deque[int] = collections.deque()
        self._broken: str | None = None

    # The requests.

    def lookup(self, name: str) -> Any:
        """A global name of the student's namespace: its value, or a Remote. A name the
        student did not define raises NameError (a StudentError)."""
        return self._request({"op": "lookup", "name": name}, f"looking up {name!r}")

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

    def release(self) -> None:
        """Send the ids of the Remotes collected so far now, not with the next request."""
        self._request({"op": "release"}, "releasing handles")

    def shutdown(self) -> None:
        """End the student's serve loop (it answers first), then this connection."""
        try:
            self._request({"op": "shutdown"}, "shutting down")
        finally:
            self.close()

    def close(self) -> None:
        self._broken = self._broken or "the connection was closed"
        self._sock.close()

    def forget(self, handle_id: int) -> None:
        """From Remote.__del__, at any moment, even inside a request of this thread: only
        queues the id (deque.append is atomic)."""
        self._forgotten.append(handle_id)

    # The machinery.

    def _handle_for(self, value: object) -> tuple[int, str] | None:
        if type(value) is not Remote:
            return None
        handle_id, name, forwarder = handle_of(value)
        if forwarder is not self:
            raise BoundaryError(f"{value!r} belongs to another connection")
        return handle_id, name

    def _resolve(self, handle_id: int, name: str) -> Remote:
        return Remote(self, handle_id, name)

    def _take_forgotten(self) -> list[int]:
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
                    f"the connection to the student's code is unusable: {self._broken}"
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
            deadline = time.monotonic() + self.timeout
            try:
                self._sock.settimeout(self.timeout)
                send_frame(self._sock, header, buffers)
            except TimeoutError:
                self._broken = "a request could not be sent in time (the stream is cut mid-message)"
                raise TimeoutError(
                    f"the student's side did not take the request in time ({doing})"
                ) from None
            except OSError as error:
                self._broken = f"sending failed: {error}"
                raise BoundaryError(f"the student's side is gone ({doing}): {error}") from None
            while True:
                reply = self._read(deadline, doing)
                got = reply.get("seq")
                if got == seq or got == -1:
                    return self._result(reply)
                if type(got) is not int or got > seq:
                    raise BoundaryError(f"an answer to a request never made ({doing})")
                # An answer to a request abandoned at its deadline: dropped.

    def _read(self, deadline: float, doing: str) -> dict[str, Any]:
        try:
            frame = self._reader.read(deadline)
        except TimeoutError:
            raise TimeoutError(
                f"the student's code did not answer within {self.timeout:g} s ({doing})"
            ) from None
        except BoundaryError as error:
            self._broken = str(error)
            raise
        except OSError as error:
            self._broken = f"reading failed: {error}"
            raise BoundaryError(f"the student's side is gone ({doing}): {error}") from None
        if frame is None:
            self._broken = "the student's side closed the connection"
            raise BoundaryError(f"the student's side closed the connection ({doing})")
        reply = codec.decode(frame[0], frame[1], resolve=self._resolve)
        if type(reply) is not dict or len(reply) != 2 or "seq" not in reply:
            raise BoundaryError(f"an answer that is not one ({doing})")
        return reply

    def _result(self, reply: dict[str, Any]) -> Any:
        if "ok" in reply:
            return reply["ok"]
        if "error" in reply:
            raise student_error(reply["error"])
        refused = reply.get("refused")
        if type(refused) is str:
            raise BoundaryError(f"the student's side refused: {refused[:2000]}")
        raise BoundaryError("an answer that is neither a value nor an error")
