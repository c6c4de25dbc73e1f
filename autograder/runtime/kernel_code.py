"""Our modules, sent as source into a kernel: no kernel can import this package.

The trusted kernel (runtime/trusted_kernel.py) and the student's kernel's forbidding
(runtime/forbidden_kernel.py) are each run as a module of their own, registered in the
kernel's sys.modules so that the grader's later requests reach it by name. (The guard
keeps its code out of sys.modules on purpose, and the boundary is a package of three
modules: each has its own installer, guard.INSTALLER and boundary.kernel_program.)
"""

from __future__ import annotations


def module_program(name: str, source: str, call: str) -> str:
    """Source that makes `source` the module `name` in the kernel and then evaluates
    `call` on it there, e.g. "install(['cv2.findHomography'])". The source travels as one
    string literal, so IPython transforms one line of the request, not the module's text."""
    return (
        "def __autograder_module(name, source):\n"
        "    import sys, types\n"
        "    module = types.ModuleType(name)\n"
        "    sys.modules[name] = module\n"
        "    exec(compile(source, f'<{name}>', 'exec'), module.__dict__)\n"
        "    return module\n"
        f"__autograder_module({name!r}, {source!r}).{call}\n"
        "del __autograder_module\n"
    )
