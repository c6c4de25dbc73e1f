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
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.utils import run_sync
from jupyter_core.utils import ensure_async
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer

from autograder.course.cells import CellKind
from autograder.course.notebooks import nbgrader_meta
from autograder.runtime import context, forbidden
from autograder.runtime.guard import Guard, summarise
from autograder.runtime.sandbox import KERNEL_ARGS, empty_folder
from autograder.runtime.trusted import Split, TeacherCells, cell_kind
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
SERVE_GRACE = (1.0, 5.0)
"""Seconds the student's kernel has to stop serving once a test has ended, before it is
interrupted; and once interrupted, before it is stopped."""


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

    def _kernels(self) -> list[Any]:
        """Every kernel the notebook runs in: the wall stops them all."""
        return [self.km]

    async def _stop_at_wall(self) -> None:
        """Kill the kernels (once): nothing the notebook does may run past its budget."""
        if self._walled:
            return
        self._walled = True
        if self._wall is not None:
            self._wall.set()
        for km in self._kernels():
            if km is not None:
                with contextlib.suppress(Exception):  # already dead is fine
                    await ensure_async(km.shutdown_kernel(now=True))


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
    _teacher: TeacherCells | None = None
    _forbidden: tuple[str, ...] = ()
    _split: Split
    _student_ready: bool = False
    _tkm: Any = None
    """The trusted kernel's manager (runtime/trusted.py), for this notebook."""
    _tkc: Any = None
    _student_km: Any = None
    """The student's kernel's manager and client while a test runs (self.km, self.kc are
    then the trusted kernel's, for nbclient)."""
    _student_kc: Any = None

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
        kind = cell_kind(self._teacher, cell)
        try:
            if not self._guard.installed:
                if self._forbidden:  # first: the guard then pictures the modules as it left them
                    reply = (await self._silent(forbidden.install_code(self._forbidden))) or {}
                    if reply.get("content", {}).get("status") != "ok":
                        self._report(
                            "the assignment's forbidden: list could not be enforced in the "
                            f"student's kernel: {reply.get('content', {}).get('evalue', '')}"
                        )
                await self._silent(self._guard.install_code)
                self._guard.installed = True
            if kind is CellKind.TEST and self._checked_for != cell_index:
                reply = await self._silent("pass", {"guard": self._guard.call_code})
                self._guard.record(reply or {})
        except (DeadKernelError, TimeoutError, RuntimeError):
            pass  # the cell itself will report the dead or stuck kernel
        if kind is CellKind.TEST:
            return await self._execute_test(cell, cell_index, *args, **kwargs)
        cell = await self._execute_student(cell, cell_index, *args, **kwargs)
        if kind is CellKind.READ_ONLY and not self._budget_spent():
            with contextlib.suppress(DeadKernelError, TimeoutError, RuntimeError):
                await self._silent_in(self._tkc, self._split.offer(cell.source))
        return cell

    async def _execute_student(
        self, cell: NotebookNode, cell_index: int, *args: Any, **kwargs: Any
    ) -> NotebookNode:
        """A cell in the student's kernel (the guard's check for the next test rides on it)."""
        # If the next cell to run is a test, this cell's request also asks for the guard's
        # check, which the kernel evaluates once this cell's code is done: no request of
        # its own. The kernel evaluates it only after an "ok"; otherwise the check above runs.
        following = next(
            (k for k in range(cell_index + 1, len(self.nb.cells)) if self._runs(self.nb.cells[k])),
            None,
        )
        if following is None or cell_kind(self._teacher, self.nb.cells[following]) is not (
            CellKind.TEST
        ):
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

    async def _execute_test(
        self, cell: NotebookNode, cell_index: int, *args: Any, **kwargs: Any
    ) -> NotebookNode:
        """A test cell runs in the trusted kernel while the student's kernel serves it."""
        serving = None
        me: Any = self  # nbclient's km and kc are untyped
        with contextlib.suppress(DeadKernelError, TimeoutError, RuntimeError):
            if not self._student_ready:
                await self._silent(self._split.student_setup())
                self._student_ready = True
            serving = me.kc.execute(self._split.serve(), silent=True, store_history=False)
        self._student_km, self._student_kc = me.km, me.kc
        me.km, me.kc = self._tkm, self._tkc
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        except DeadKernelError:
            self._report(
                "the kernel that runs the tests stopped (its memory or time limit, or a "
                "crash): the tests from this one on did not run"
            )
            raise
        finally:
            me.km, me.kc = self._student_km, self._student_kc
            self._student_km = self._student_kc = None
            if serving is not None:
                await self._end_serving(serving)

    async def _end_serving(self, msg_id: str) -> None:
        """Wait for the student's kernel to stop serving the test that just ended. The
        trusted kernel has paused it; a student's function still running (the test gave up
        on it) is interrupted, and a kernel that will not stop even then is stopped: its
        later cells cannot run, and its later tests fail."""
        if await self._reply_in(self.kc, msg_id, SERVE_GRACE[0]) is not None:
            return
        with contextlib.suppress(Exception):
            await ensure_async(self.km.interrupt_kernel())
        if await self._reply_in(self.kc, msg_id, SERVE_GRACE[1]) is not None:
            return
        self._report(
            "the student's code did not return after a test ended, even when "
            "interrupted: its kernel was stopped, and the cells after it did not run"
        )
        with contextlib.suppress(Exception):
            await ensure_async(self.km.shutdown_kernel(now=True))

    async def _reply_in(self, kc: Any, msg_id: str, seconds: float) -> dict | None:
        """The shell reply to msg_id within `seconds` (and the notebook's budget), or None."""
        end = time.monotonic() + seconds
        if self._deadline is not None:
            end = min(end, self._deadline)
        while (remaining := end - time.monotonic()) > 0:
            try:
                msg = await kc.shell_channel.get_msg(timeout=remaining)
            except Exception:  # queue.Empty on a timeout, or a channel that closed
                return None
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg
        return None

    async def _silent_in(self, kc: Any, code: str, seconds: float | None = None) -> dict | None:
        msg_id = kc.execute(code, silent=True, store_history=False)
        return await self._reply_in(kc, msg_id, self.timeout if seconds is None else seconds)

    def _kernels(self) -> list[Any]:
        """The student's kernel and the trusted one (while a test runs, self.km is the
        trusted kernel's and _student_km the student's)."""
        return [self.km, self._student_km, self._tkm]

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
        self._teacher = TeacherCells.from_gradebook(resources or {})
        self._forbidden = run.forbidden
        self._student_ready = False
        self._student_km = self._student_kc = None
        st = state(run.limits, run.preload) if run.sandboxed else None
        trusted = st.trusted if st is not None else None
        km = None
        self._tkm = None
        self._tkc = None
        scratch = None
        try:
            if st is not None and trusted is not None:
                km = take_kernel(st)
                fill_scratch(st, folder)
                kwargs["km"] = km
                self._tkm = take_kernel(trusted)
                if run.teacher_files is not None:
                    fill_scratch(trusted, run.teacher_files)
                self._split = Split.new(st.sandbox.boundary)
            else:
                scratch = Path(tempfile.mkdtemp(prefix="autograder-tests-"))
                self._split = Split.new(scratch)
                self._tkm = run_sync(self._start_local)(run.teacher_files or folder)
            run_sync(self._connect_trusted)()
            try:
                super().preprocess(nb, resources, **kwargs)
            except DeadKernelError:
                self._report(
                    "the notebook stopped its kernel (exit(), os._exit or a crash): "
                    "the cells after that did not run"
                )
        finally:
            if self._tkc is not None:
                with contextlib.suppress(Exception):
                    self._tkc.stop_channels()
            if self._tkm is not None:
                with contextlib.suppress(Exception):
                    run_sync(self._tkm.shutdown_kernel)(now=True)
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
            if st is not None:
                if km is not None:
                    with contextlib.suppress(Exception):
                        run_sync(km.shutdown_kernel)(now=True)
                    for line in kernel_report(st, km):
                        self._report(line)
                st.sandbox.kill_processes()
                copy_back(st, folder)
                prestart(st)
            if trusted is not None:
                if self._tkm is not None:
                    for line in kernel_report(trusted, self._tkm):
                        self._report(f"the tests' kernel: {line}")
                trusted.sandbox.kill_processes()
                empty_folder(trusted.sandbox.scratch)
                prestart(trusted)
            self._tkm = self._tkc = None
        for finding in summarise(self._guard.findings):
            self._report(finding)
        enforce_verdicts(nb, self._replies)
        return nb, resources

    async def _start_local(self, cwd: Path) -> AsyncKernelManager:
        """The trusted kernel of an unsandboxed run: a kernel of the grader's own Python."""
        km = AsyncKernelManager(kernel_name=self.kernel_name or "python3")
        await km.start_kernel(cwd=str(cwd), extra_arguments=list(KERNEL_ARGS))
        return km

    async def _connect_trusted(self) -> None:
        """Connect to the trusted kernel and set it up (the boundary, trusted_kernel)."""
        assert self._tkm is not None
        kc = self._tkm.client()
        kc.start_channels()
        self._tkc = kc
        await kc.wait_for_ready(timeout=self.startup_timeout)
        reply = await self._silent_in(kc, self._split.trusted_setup(self.timeout or 60), 60)
        content = (reply or {}).get("content", {})
        if content.get("status") != "ok":
            raise RuntimeError(
                "the kernel that runs the tests could not be set up: "
                f"{content.get('ename', 'no reply')}: {content.get('evalue', '')}"
            )

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
