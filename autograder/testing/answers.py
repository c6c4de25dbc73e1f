"""Checks of an answer's type, shape and dtype before its value.

A value check asks the answer a question: `answer == expected`, `np.allclose(answer,
expected)`, `float(answer)`. An object built for the tests answers every such question
the way the test wants (an ndarray subclass whose `__eq__` is always True, an object
whose `__array__` returns the reference it found, a float subclass equal to anything).
These helpers first require the exact built-in type the assignment asks for, so such an
object fails before any value is compared, with a message a student can act on.

They run wherever the test runs: in the grader's trusted kernel, where a student's
object that is not plain data arrives as a handle and fails the type check the same
way, and in a student's own Jupyter when the toolkit is installed there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_KINDS = {"b": "booleans", "i": "integers", "u": "integers", "f": "floats", "c": "complex numbers"}


def _kind_name(kind: str) -> str:
    return " or ".join(_KINDS.get(k, k) for k in kind)


def expect_type(value: Any, expected: type | tuple[type, ...], name: str = "the answer") -> Any:
    """`value` itself, when its type is exactly `expected` (or one of them): a subclass is
    refused, as that is where comparisons are overridden."""
    types = expected if isinstance(expected, tuple) else (expected,)
    if type(value) not in types:
        wanted = " or ".join(t.__name__ for t in types)
        raise AssertionError(f"{name} should be a {wanted}, got {type(value).__name__}")
    return value


_REALS = (int, float, *(np.dtype(code).type for code in "bhilqBHILQefdg"))


def expect_number(value: Any, name: str = "the answer") -> float:
    """A real number (int, float or a numpy scalar of those), never a bool, as a float."""
    if type(value) not in _REALS:
        raise AssertionError(f"{name} should be a number, got {type(value).__name__}")
    number = float(value)
    if not np.isfinite(number):
        raise AssertionError(f"{name} should be a finite number, got {number}")
    return number


def expect_array(
    value: Any,
    shape: tuple[int | None, ...] | None = None,
    kind: str | None = None,
    name: str = "the answer",
    finite: bool = True,
) -> np.ndarray:
    """`value`, when it is exactly a numpy array with this shape (None: any length on that
    axis) and dtype kind ("f" floats, "i" integers, "b" booleans; "fi" either), with no
    NaN or infinity unless `finite` is False."""
    expect_type(value, np.ndarray, name)
    if shape is not None:
        fits = value.ndim == len(shape) and all(
            want is None or got == want for got, want in zip(value.shape, shape, strict=True)
        )
        if not fits:
            wanted = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise AssertionError(f"{name} should have shape {wanted}, got {value.shape}")
    if kind is not None and value.dtype.kind not in kind:
        raise AssertionError(
            f"{name} should hold {_kind_name(kind)}, got dtype {value.dtype} "
            f"({_kind_name(value.dtype.kind)})"
        )
    if finite and value.dtype.kind in "fc" and not np.isfinite(value).all():
        raise AssertionError(f"{name} should hold no NaN or infinity")
    return value


def expect_close(
    value: Any,
    reference: np.ndarray | float,
    name: str = "the answer",
    rtol: float = 1e-7,
    atol: float = 0.0,
) -> None:
    """`value` has the reference's type, shape and dtype kind, then its values (to the
    tolerances, the reference's side deciding: never a method of `value`)."""
    if isinstance(reference, np.ndarray):
        kind = "fi" if reference.dtype.kind in "iu" else reference.dtype.kind
        expect_array(value, reference.shape, kind, name)
        diff = np.abs(value - reference)
        wrong = diff > atol + rtol * np.abs(reference)
        if wrong.any():
            raise AssertionError(
                f"{name} differs from the expected values in {wrong.sum()} of {wrong.size} "
                f"entries (largest difference {diff.max():.3g})"
            )
        return
    number = expect_number(value, name)
    if abs(number - float(reference)) > atol + rtol * abs(float(reference)):
        raise AssertionError(f"{name} should be {float(reference):.6g}, got {number:.6g}")
