"""Handles: objects that are not plain data stay with the side that made them.

Each side keeps its objects in a HandleTable and sends only their ids; the other side
holds a Remote for each id: a proxy that can be passed back, called, asked for a public
attribute or an item, or given a public attribute or an item, each of which is a request
to the owner. It can do nothing else. Comparing, truth, len, iteration, hashing,
conversion to a number or an array and arithmetic all raise TypeError on the grading
side, without asking the student: each of them is a question whose answer the student's
object would choose (`__eq__` returning True, `__array_interface__` pointing anywhere in
the grader's memory), so the grading side never asks it. A test converts in the
student's code (a method returning a list or an array) or tests the object's methods,
whose results cross as plain data. (The student's side holds Remotes of what a test hands
it; the trusted side answers only calls, public attributes and items of those.)

Attribute names: public names are forwarded. Dunder and underscore names are answered
locally with AttributeError, because those are how libraries on the grading side probe
an object for a protocol (numpy's `__array_interface__`, `__array_struct__` and
`__array_priority__`, IPython's `_repr_html_` and `_ipython_display_`, pandas' `_typ`,
copy's `__deepcopy__`), and a forwarded probe would let the student's object claim the
protocol. The exceptions, FORWARDED_DUNDERS, are scikit-learn's estimator protocol and a
function's name:

- `__sklearn_clone__`: sklearn.base.clone(remote) then runs BaseEstimator's clone on the
  student's side, where the estimator's class is, and gets back a handle to the new
  estimator. Without it, clone would build `type(remote)(**params)` here: a Remote.
- `__sklearn_tags__`: sklearn's get_tags calls it; the Tags it returns stay on the
  student's side and their fields (strings and booleans) are read through the handle.
- `__sklearn_is_fitted__`: check_is_fitted asks it, and otherwise reads `vars()`, which a
  Remote does not have.
- `__name__`, `__qualname__`: a teacher's messages name the student's function.

The answers to all of them are data or handles, like any other attribute: the student
can choose them, but not make the grading side believe anything but what they say.

Exceptions from the student's code cross as data (describe_exception on the student's
side, student_error here) and are raised as StudentError, which carries the student's type
name, message and traceback as text. When the student's exception is (a subclass of) a
builtin one a test may expect, e.g. ValueError, the StudentError is also an instance of
that builtin (StudentValueError), so `pytest.raises(ValueError)` works; a student class
that is merely named ValueError is not. NotImplementedError is raised as itself: the
grader reads it as "not answered yet".

This file is also sent, as source, into the student's kernel (HandleTable and
describe_exception are used there): standard library and the boundary's codec only.
"""

from __future__ import annotations

import builtins
import contextlib
import traceback
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, NoReturn, Protocol, cast

from .codec import MAX_TYPE_NAME_CHARS, BoundaryError, type_name

MAX_HANDLES = 1_000_000
"""Live handles in one table: a grading side that never lets go of its Remotes stops
with a BoundaryError rather than filling the student's memory."""
MAX_MESSAGE_CHARS = 2000
"""Characters of an exception's message that cross."""
MAX_TRACEBACK_CHARS = 8000
"""Characters of an exception's traceback that cross (its end, where the error is)."""

FORWARDED_DUNDERS = frozenset(
    {"__sklearn_clone__", "__sklearn_tags__", "__sklearn_is_fitted__", "__name__", "__qualname__"}
)
"""The only names starting with an underscore that a Remote asks the student's side for
(see the module's docstring for why each)."""

MAPPED_ERRORS = (
    "ArithmeticError",
    "AttributeError",
    "FloatingPointError",
    "IndexError",
    "KeyError",
    "LookupError",
    "NameError",
    "OverflowError",
    "RuntimeError",
    "TypeError",
    "ValueError",
    "ZeroDivisionError",
)
"""Builtin exceptions that a StudentError can also be an instance of. Not BaseExceptions
(SystemExit, KeyboardInterrupt) or StopIteration, which would steer the grading side's
control flow; not AssertionError, which is what a failing test raises."""


# --- The owner's side ----------------------------------------------------------------------


class HandleTable:
    """The objects the other side holds handles to, by id. An object has one id while it
    is held, however often it is sent, so the other side can keep one Remote per id and
    `a is b` means there what it means here. The table counts how often it sent each id;
    the other side releases an id with the count it received, and the object goes when
    every sending is accounted for (a release and a new sending may cross in flight)."""

    def __init__(self, limit: int = MAX_HANDLES) -> None:
        self._objects: dict[int, object] = {}
        self._sent: dict[int, int] = {}
        self._ids: dict[int, int] = {}
        """id(object) -> handle id, for the objects held."""
        self._next = 1
        self._limit = limit

    def add(self, value: object) -> tuple[int, str]:
        """The object's handle: (id, type name), the codec's HandleFor."""
        handle_id = self._ids.get(id(value))
        if handle_id is None or self._objects.get(handle_id) is not value:
            if len(self._objects) >= self._limit:
                raise BoundaryError(
                    f"more than {self._limit} live handles to the other side's objects"
                )
            handle_id = self._next
            self._next += 1
            self._objects[handle_id] = value
            self._ids[id(value)] = handle_id
            self._sent[handle_id] = 0
        self._sent[handle_id] += 1
        return handle_id, type_name(value)

    def get(self, handle_id: int, name: str = "") -> object:
        """The object of a handle the other side sent back, the codec's Resolve."""
        try:
            return self._objects[handle_id]
        except KeyError:
            raise BoundaryError(f"handle {handle_id} ({name[:80]!r}) is not held") from None

    def release(self, counts: Iterable[tuple[int, int]]) -> None:
        """The other side let go of these ids, each received `count` times."""
        for handle_id, count in counts:
            left = self._sent.get(handle_id, 0) - count
            if left > 0:
                self._sent[handle_id] = left
                continue
            value = self._objects.pop(handle_id, None)
            self._sent.pop(handle_id, None)
            if self._ids.get(id(value)) == handle_id:
                del self._ids[id(value)]

    def __len__(self) -> int:
        return len(self._objects)


def _cap(text: str, limit: int, keep_end: bool = False) -> str:
    if len(text) <= limit:
        return text
    return "…" + text[-(limit - 1) :] if keep_end else text[: limit - 1] + "…"


def describe_exception(error: BaseException, tb: TracebackType | None) -> dict[str, object]:
    """The student's side: an exception as plain data. Reading the message and formatting
    the traceback run the student's code (`__str__`), so each is guarded; a failure there
    loses that part only."""
    kind = type(error)
    base = None
    for cls in kind.__mro__:
        if cls.__name__ in MAPPED_ERRORS and getattr(builtins, cls.__name__, None) is cls:
            base = cls.__name__
            break
    try:
        message = str(error)
        if type(message) is not str:
            message = "(the exception's message is not a str)"
    except BaseException:  # anything the student's __str__ does, even sys.exit()
        message = "(the exception's message could not be read)"
    try:
        text = "".join(traceback.format_exception(kind, error, tb))
    except BaseException:
        text = ""
    return {
        "type": type_name(error),
        "base": base,
        "not_implemented": isinstance(error, NotImplementedError),
        "message": _cap(message, MAX_MESSAGE_CHARS),
        "traceback": _cap(text, MAX_TRACEBACK_CHARS, keep_end=True),
    }


# --- The grading side ----------------------------------------------------------------------


class StudentError(Exception):
    """An exception raised by the student's code, as text: its type's name, its message and
    its traceback (never the student's exception object)."""

    def __init__(self, type_name: str, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message
        self.traceback = traceback

    def __str__(self) -> str:
        """The message, as the student's exception would say it; with its type's name
        first when that is not this class's (a student's own exception class)."""
        if self.type_name == type(self).__name__:
            return self.message
        return f"{self.type_name}: {self.message}" if self.message else self.type_name

    def __reduce__(self) -> tuple[Callable[..., StudentError], tuple[str | None, str, str, str]]:
        base = next((name for name, cls in _STUDENT_ERRORS.items() if type(self) is cls), None)
        return _rebuild, (base, self.type_name, self.message, self.traceback)


_STUDENT_ERRORS: dict[str, type[StudentError]] = {
    name: cast(
        "type[StudentError]",
        type(
            name,
            (StudentError, getattr(builtins, name)),
            {"__module__": __name__, "__qualname__": f"Student{name}"},
        ),
    )
    for name in MAPPED_ERRORS
}
"""StudentError classes that are also the builtin exception, named as it is (a failing
test then reads "ValueError: ..."), qualified StudentValueError, ..."""


def _rebuild(base: str | None, type_name: str, message: str, tb: str) -> StudentError:
    return _STUDENT_ERRORS.get(base or "", StudentError)(type_name, message, tb)


def student_error(data: object) -> Exception:
    """The grading side: the exception to raise for describe_exception's data (as decoded,
    so checked here: it is the student's side's text)."""
    if type(data) is not dict:
        return BoundaryError("an error reply that is not a dict")
    name, base, message = data.get("type"), data.get("base"), data.get("message")
    tb = data.get("traceback", "")
    if type(name) is not str or type(message) is not str or type(tb) is not str:
        return BoundaryError("an error reply without a type name and message")
    name = _cap(name, MAX_TYPE_NAME_CHARS)
    message = _cap(message, MAX_MESSAGE_CHARS)
    tb = _cap(tb, MAX_TRACEBACK_CHARS, keep_end=True)
    if data.get("not_implemented") is True:
        return NotImplementedError(message)
    kind = _STUDENT_ERRORS.get(base, StudentError) if type(base) is str else StudentError
    return kind(name, message, tb)


class Forwarder(Protocol):
    """What a Remote asks of the connection to the other side (channel.Peer)."""

    def remote_getattr(self, target: Remote, name: str) -> Any: ...

    def remote_call(self, target: Remote, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any: ...

    def remote_getitem(self, target: Remote, key: Any) -> Any: ...

    def remote_setattr(self, target: Remote, name: str, value: Any) -> None: ...

    def remote_setitem(self, target: Remote, key: Any, value: Any) -> None: ...

    def forget(self, handle_id: int) -> None:
        """The Remote is gone (called from `__del__`: must not block or send)."""


def _refusal_message(remote: Remote, verb: str) -> str:
    return (
        f"{remote!r}: an object from the student's code that is not plain data cannot be "
        f"{verb} on the grading side; convert it in the student's code (a list, a number, "
        "an array) or test its methods"
    )


def _refuse(verb: str) -> Callable[..., NoReturn]:
    def refuse(self: Remote, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(_refusal_message(self, verb))

    refuse.__name__ = f"refuse ({verb})"
    return refuse


class Remote:
    """An object of the student's side, by handle (see the module's docstring)."""

    __slots__ = ("__id", "__type", "__forwarder", "__weakref__")

    def __init__(self, forwarder: Forwarder, handle_id: int, type_name: str) -> None:
        object.__setattr__(self, "_Remote__id", handle_id)
        object.__setattr__(self, "_Remote__type", type_name)
        object.__setattr__(self, "_Remote__forwarder", forwarder)

    def __getattr__(self, name: str) -> Any:
        if name in _SLOTS:
            raise AttributeError(name)  # a slot not set yet (a Remote half made)
        if name.startswith("_") and name not in FORWARDED_DUNDERS:
            raise AttributeError(
                f"{name!r} is not asked of {self!r}: names starting with an underscore are "
                "how the grading side's libraries probe for protocols, so they are not "
                "forwarded to the student's code (only public names and "
                f"{', '.join(sorted(FORWARDED_DUNDERS))})"
            )
        return self.__forwarder.remote_getattr(self, name)

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        return self.__forwarder.remote_call(self, args, kwargs)

    def __getitem__(self, key: Any) -> Any:
        return self.__forwarder.remote_getitem(self, key)

    def __setattr__(self, name: str, value: Any) -> None:
        """A public attribute of the student's object is set there (a test setting a
        hyperparameter, an environment's field): the value crosses like an argument."""
        if name.startswith("_"):
            raise TypeError(_refusal_message(self, f"assigned the attribute {name!r}"))
        self.__forwarder.remote_setattr(self, name, value)

    def __setitem__(self, key: Any, value: Any) -> None:
        self.__forwarder.remote_setitem(self, key, value)

    def __repr__(self) -> str:
        """Local: the handle and the type name the student's side gave (escaped)."""
        return f"<object from the student's code: {self.__type!r}, handle {self.__id}>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        """f"{remote}" describes the handle, for a teacher's messages; a format spec is
        a question about the value (a number's digits), refused like the others."""
        if spec:
            raise TypeError(_refusal_message(self, f"formatted with {spec!r}"))
        return repr(self)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit, or a half-made Remote
            self.__forwarder.forget(self.__id)

    __eq__ = _refuse("compared")
    __ne__ = _refuse("compared")
    __lt__ = _refuse("compared")
    __le__ = _refuse("compared")
    __gt__ = _refuse("compared")
    __ge__ = _refuse("compared")
    __hash__ = _refuse("hashed (used in a set or as a dict key)")  # type: ignore[assignment]
    __bool__ = _refuse("used as a truth value")
    __len__ = _refuse("measured with len()")
    __iter__ = _refuse("iterated")
    __reversed__ = _refuse("iterated")
    __contains__ = _refuse("searched with `in`")
    __delitem__ = _refuse("assigned items")
    __delattr__ = _refuse("assigned attributes")
    __int__ = _refuse("converted to int")
    __float__ = _refuse("converted to float")
    __complex__ = _refuse("converted to complex")
    __index__ = _refuse("used as an index or converted to int")
    __bytes__ = _refuse("converted to bytes")
    __round__ = _refuse("rounded")
    __trunc__ = _refuse("rounded")
    __floor__ = _refuse("rounded")
    __ceil__ = _refuse("rounded")
    __array__ = _refuse("converted to a numpy array")
    __copy__ = _refuse("copied (clone or copy it in the student's code)")
    __deepcopy__ = _refuse("copied (clone or copy it in the student's code)")
    __reduce__ = _refuse("pickled")
    __reduce_ex__ = _refuse("pickled")
    __getstate__ = _refuse("pickled")
    __abs__ = _refuse("used in arithmetic")
    __neg__ = _refuse("used in arithmetic")
    __pos__ = _refuse("used in arithmetic")
    __invert__ = _refuse("used in arithmetic")


_OPERATORS = ("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "divmod", "pow")
_BITWISE = ("lshift", "rshift", "and", "xor", "or")
for _operator in _OPERATORS + _BITWISE:
    for _form in ("__{}__", "__r{}__", "__i{}__"):
        setattr(Remote, _form.format(_operator), _refuse("used in arithmetic"))
del _operator, _form


_SLOTS = frozenset({"_Remote__id", "_Remote__type", "_Remote__forwarder"})


def handle_of(remote: Remote) -> tuple[int, str, Forwarder]:
    """The handle's id, type name and connection, for encoding it (channel.Peer)."""
    return (
        object.__getattribute__(remote, "_Remote__id"),
        object.__getattribute__(remote, "_Remote__type"),
        object.__getattribute__(remote, "_Remote__forwarder"),
    )
