"""nbgrader's Execute step with a whole-notebook time budget that is a hard wall.

nbgrader only limits each cell; a notebook of many slow cells could run for
hours. Each cell waits at most the smaller of the cell timeout and what is left
of the notebook budget. When the budget runs out (the wall), the kernel is
killed at once rather than interrupted, since student code can ignore an
interrupt (`except KeyboardInterrupt`, or C code that never looks), and no
further cell is sent: the cell that was running and every cell after it get an
error output saying the notebook's time budget was exceeded, so a test cell
after the wall fails with that reason. Nothing past the wall waits on the kernel
either: a reply the grader is waiting for (the guard's, for one) ends in
`NotebookBudgetExceeded`, and the wait for the running cell's last output ends
with the kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_client.utils import run_sync
from jupyter_core.utils import ensure_async
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer

from autograder.course.cells import is_test
from autograder.course.notebooks import nbgrader_meta
from autograder.runtime import context
from autograder.runtime.guard import Guard, summarise
from autograder.runtime.worker_kernels import (
    copy_back,
    fill_scratch,
    kernel_report,
    prestart,
    state,
    take_kernel,
)

BUDGET_ENAME = "NotebookTimeout"
# zmq polls in whole milliseconds and may return a little early: a cell timeout this
# close to the wall is the wall.
WALL_SLACK = 0.05


class NotebookBudgetExceeded(TimeoutError):
    """A wait for the kernel was cut short by the notebook's time budget."""


class BudgetedExecute(Execute):
    notebook_timeout = Integer(
        0, help="Seconds for the whole notebook; 0 means no budget beyond the cell timeout."
    ).tag(config=True)

    _deadline: float | None = None
    _walled: bool = False
    _wall: asyncio.Event | None = None

    def preprocess(self, nb: NotebookNode, resources: Any = None, **kwargs: Any) -> Any:
        self._deadline = time.monotonic() + self.notebook_timeout if self.notebook_timeout else None
        self._walled = False
        self._wall = asyncio.Event()
        try:
            return super().preprocess(nb, resources, **kwargs)
        finally:
            self._deadline = None

    def _budget_spent(self) -> bool:
        return self._walled or (
            self._deadline is not None and time.monotonic() >= self._deadline - WALL_SLACK
        )

    def _budget_note(self, what: str) -> str:
        return f"notebook time budget exceeded ({self.notebook_timeout} s): {what}"

    def _get_timeout(self, cell: NotebookNode | None) -> float | None:  # type: ignore[override]
        timeout = super()._get_timeout(cell)
        if self._deadline is None:
            return timeout
        # To the wall exactly (nbclient takes fractions): never a second past it.
        remaining = max(self._deadline - time.monotonic(), 0.001)
        return remaining if timeout is None else min(timeout, remaining)

    async def async_execute_cell(
        self, cell: NotebookNode, cell_index: int, *args: Any, **kwargs: Any
    ) -> NotebookNode:
        runs = (
            cell.cell_type == "code"
            and bool(cell.source.strip())
            and self.skip_cells_with_tag not in cell.metadata.get("tags", [])
        )
        if not runs or not self._budget_spent():
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        await self._stop_at_wall()  # a cell that ended just before the wall may have left threads
        note = self._budget_note("this cell did not run")
        cell.outputs = [
            NotebookNode(
                output_type="error",
                ename=BUDGET_ENAME,
                evalue=note,
                traceback=[f"{BUDGET_ENAME}: {note}"],
            )
        ]
        return cell

    async def _async_handle_timeout(
        self, timeout: int, cell: NotebookNode | None = None
    ) -> dict[str, Any] | None:
        if not self._budget_spent():
            return await super()._async_handle_timeout(timeout, cell)
        await self._stop_at_wall()
        note = self._budget_note("this cell was stopped")
        return {
            "content": {
                "status": "error",
                "ename": BUDGET_ENAME,
                "evalue": note,
                "traceback": [f"{BUDGET_ENAME}: {note}"],
            }
        }

    async def async_wait_for_reply(
        self, msg_id: str, cell: NotebookNode | None = None
    ) -> dict[str, Any] | None:
        """nbclient's wait, which looks at the clock only every 5 s, bounded by the wall."""
        if self._deadline is None:
            return await super().async_wait_for_reply(msg_id, cell)
        if self._budget_spent():
            await self._stop_at_wall()
            raise NotebookBudgetExceeded(self._budget_note("no reply awaited"))
        try:
            reply = await asyncio.wait_for(
                super().async_wait_for_reply(msg_id, cell), self._deadline - time.monotonic()
            )
        except TimeoutError:
            if not self._budget_spent():
                raise
            reply = None
        if reply is None and self._budget_spent():  # not "no answer": there was no time
            await self._stop_at_wall()
            raise NotebookBudgetExceeded(self._budget_note("the reply came too late"))
        return reply

    async def _async_poll_output_msg(
        self, parent_msg_id: str, cell: NotebookNode, cell_index: int
    ) -> None:
        """nbclient's reading of a cell's output, which ends at the wall: a killed kernel
        sends no "idle", and nbclient would wait for it and then fail the notebook."""
        poll = asyncio.ensure_future(
            super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        )
        if self._wall is None:
            return await poll
        wall = asyncio.ensure_future(self._wall.wait())
        try:
            await asyncio.wait((poll, wall), return_when=asyncio.FIRST_COMPLETED)
        finally:
            poll.cancel()
            wall.cancel()
        if poll.done() and not poll.cancelled():
            poll.result()

    async def _stop_at_wall(self) -> None:
        """Kill the kernel (once): nothing the notebook does may run past its budget."""
        if self._walled:
            return
        self._walled = True
        if self._wall is not None:
            self._wall.set()
        if self.km is not None:
            with contextlib.suppress(Exception):  # already dead is fine
                await ensure_async(self.km.shutdown_kernel(now=True))


class SandboxedExecute(BudgetedExecute):
    """Execute in the worker's sandbox; a test cell counts as run only on an "ok" reply."""

    _replies: dict[int, str]
    _report: Callable[[str], None]
    _checked_for: int | None = None
    """The test cell the guard has checked for, at the end of the cell before it."""
    _check_next: int | None = None
    """The test cell whose check rides on the request of the cell running now."""
    _output_bytes: int = 0
    _output_limit: int = 0

    async def _silent(self, code: str, expressions: dict[str, str] | None = None) -> dict:
        msg_id = self.kc.execute(
            code, silent=True, store_history=False, user_expressions=expressions or {}
        )
        return await self.async_wait_for_reply(msg_id) or {}

    async def async_execute_cell(
        self, cell: NotebookNode, cell_index: int, *args: Any, **kwargs: Any
    ) -> NotebookNode:
        if not self._runs(cell):
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        try:
            if not self._guard.installed:
                await self._silent(self._guard.install_code)
                self._guard.installed = True
            if is_test(cell) and self._checked_for != cell_index:
                reply = await self._silent("pass", {"guard": self._guard.call_code})
                self._guard.record(reply or {})
        except (DeadKernelError, TimeoutError, RuntimeError):
            pass  # the cell itself will report the dead or stuck kernel
        # If the next cell to run is a test, this cell's request also asks for the guard's
        # check, which the kernel evaluates once this cell's code is done: no request of
        # its own. The kernel evaluates it only after an "ok"; otherwise the check above runs.
        following = next(
            (k for k in range(cell_index + 1, len(self.nb.cells)) if self._runs(self.nb.cells[k])),
            None,
        )
        if following is None or not is_test(self.nb.cells[following]):
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        self._check_next = following
        self.kc.execute = functools.partial(  # type: ignore[method-assign]
            type(self.kc).execute, self.kc, user_expressions={"guard": self._guard.call_code}
        )
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        finally:
            del self.kc.execute
            self._check_next = None

    def _runs(self, cell: NotebookNode) -> bool:
        """Whether nbclient sends this cell to the kernel."""
        return (
            cell.cell_type == "code"
            and bool(cell.source.strip())
            and self.skip_cells_with_tag not in cell.metadata.get("tags", [])
        )

    # nbclient binds the synchronous wrapper to its own coroutine at class level.
    execute_cell = run_sync(async_execute_cell)

    def preprocess(self, nb: NotebookNode, resources: Any = None, **kwargs: Any) -> Any:
        self._guard = Guard()
        self._checked_for = None
        self._check_next = None
        self._replies = {}
        self._output_bytes = 0
        self._output_capped = False
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        run = context.current() or context.Run()
        self._report = run.report if context.current() else self.log.warning
        self._output_limit = run.limits.max_output_kb * 1024
        st = state(run.limits, run.preload) if run.sandboxed else None
        km = None
        try:
            if st is not None:
                km = take_kernel(st)
                fill_scratch(st, folder)
                kwargs["km"] = km
            try:
                super().preprocess(nb, resources, **kwargs)
            except DeadKernelError:
                self._report(
                    "the notebook stopped its kernel (exit(), os._exit or a crash): "
                    "the cells after that did not run"
                )
        finally:
            if st is not None:
                if km is not None:
                    with contextlib.suppress(Exception):
                        run_sync(km.shutdown_kernel)(now=True)
                    for line in kernel_report(st, km):
                        self._report(line)
                st.sandbox.kill_processes()
                copy_back(st, folder)
                prestart(st)
        for finding in summarise(self._guard.findings):
            self._report(finding)
        enforce_verdicts(nb, self._replies)
        return nb, resources

    def on_cell_executed(self, **kwargs: Any) -> None:
        super().on_cell_executed(**kwargs)
        reply = kwargs.get("execute_reply") or {}
        content = reply.get("content", {})
        self._replies[kwargs["cell_index"]] = content.get("status", "missing")
        if self._check_next is not None and "guard" in content.get("user_expressions", {}):
            self._guard.record(reply)
            self._checked_for = self._check_next

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        content = msg.get("content", {})
        size = len(str(content.get("text", ""))) + len(str(content.get("data", "")))
        self._output_bytes += size
        if self._output_bytes > self._output_limit:
            if not self._output_capped:
                self._output_capped = True
                outs.append(
                    NotebookNode(
                        output_type="stream",
                        name="stderr",
                        text="[output cut by the grader: too much output]\n",
                    )
                )
            return None
        return super().output(outs, msg, display_id, cell_index)


def enforce_verdicts(nb: NotebookNode, replies: dict[int, str]) -> None:
    """A graded cell that did not run to an "ok" reply is a failure, whatever it printed.

    nbgrader scores a test cell by the absence of an error output, so a cell that never
    ran (the kernel exited first) or whose reply was not "ok" would otherwise pass.
    """
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not nbgrader_meta(cell).get("grade"):
            continue
        status = replies.get(index)
        has_error = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        if status == "ok" or has_error:
            continue
        reason = (
            "it did not run: the kernel stopped before it"
            if status is None
            else (f"it did not finish normally (kernel reply: {status})")
        )
        cell.setdefault("outputs", []).append(
            NotebookNode(
                output_type="error",
                ename="TestNotRun",
                evalue=reason,
                traceback=[f"TestNotRun: {reason}"],
            )
        )
