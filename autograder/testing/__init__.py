"""Helpers for the tests in assignment notebooks: look at what an answer is before what
it is worth (`from autograder.testing import expect_array, expect_close`)."""

from autograder.testing.answers import expect_array, expect_close, expect_number, expect_type

__all__ = ["expect_array", "expect_close", "expect_number", "expect_type"]
