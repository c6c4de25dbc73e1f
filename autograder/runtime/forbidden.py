"""The grader's side of `forbidden:`: the code that makes it so in the student's kernel.

runtime/forbidden_kernel.py does the work inside the kernel (which cannot import this
package, so it receives that file's source); runtime/execution.py runs `install_code`
there before the notebook's first cell, and before the guard pictures the modules.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path

from autograder.runtime.kernel_code import module_program

KERNEL_SOURCE = (Path(__file__).parent / "forbidden_kernel.py").read_text()


def install_code(names: Sequence[str]) -> str:
    """Source that installs forbidden_kernel as a module of a random name and forbids
    `names` (module and attribute names, as the config lists them)."""
    name = f"_autograder_forbidden_{secrets.token_hex(6)}"
    return module_program(name, KERNEL_SOURCE, f"install({list(names)!r})")
