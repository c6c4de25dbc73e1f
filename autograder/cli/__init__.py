"""The `autograder` command line: every teacher task, on the embedded SQLite default.

One module per group of commands (authoring, delivery, grading, reporting, student), each
command a plain `click.command`; this module puts them in the `main` group. Shared
options and the error handling live in app.py. A new command: write it in the
module of its group (or a new one) and add it below.
"""

from __future__ import annotations

import gc

from autograder.cli import authoring, delivery, grading, reporting, student
from autograder.cli.app import main

for command in (
    authoring.build,
    authoring.release,
    grading.grade,
    reporting.feedback,
    reporting.export,
    authoring.validate,
    authoring.audit,
    student.check,
    reporting.report,
    delivery.roster,
    delivery.publish,
    delivery.collect,
    delivery.return_feedback,
    delivery.hub,
    delivery.deadlines,
):
    main.add_command(command)


def run() -> None:
    """The `autograder` command: `main`, in a process of its own that ends with it.

    While the interpreter shuts down it runs the cycle collector over the whole heap,
    more than once: with nbgrader and Jupyter loaded, 0.2-0.3 s after every command.
    The heap is frozen out of the collector's reach first; everything is still released
    and closed as the modules are torn down, and only objects in reference cycles are
    left to the operating system, as they would be at any process exit."""
    from autograder.nbgrader import patches

    patches.skip_unused_format_check()
    try:
        main()
    finally:
        gc.freeze()
