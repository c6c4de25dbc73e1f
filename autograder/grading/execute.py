"""nbgrader's Execute step with a whole-notebook time budget on top of the per-cell timeout.

nbgrader only limits each cell; a notebook of many slow cells could run for
hours. Each cell gets the smaller of the cell timeout and what is left of the
notebook budget (at least one second), so once the budget is spent the
remaining cells time out at once and grading moves on.
"""

from __future__ import annotations

import time
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer


class BudgetedExecute(Execute):
    notebook_timeout = Integer(
        0, help="Seconds for the whole notebook; 0 means no budget beyond the cell timeout."
    ).tag(config=True)

    _deadline: float | None = None

    def preprocess(self, nb: NotebookNode, resources: Any = None, **kwargs: Any) -> Any:
        self._deadline = time.monotonic() + self.notebook_timeout if self.notebook_timeout else None
        try:
            return super().preprocess(nb, resources, **kwargs)
        finally:
            self._deadline = None

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        timeout = super()._get_timeout(cell)
        if self._deadline is None:
            return timeout
        remaining = max(1, int(self._deadline - time.monotonic()))
        return remaining if timeout is None else min(timeout, remaining)
