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
import time
from typing import Any

from jupyter_core.utils import ensure_async
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer

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
