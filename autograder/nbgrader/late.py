"""Late-submission penalties from the course config, as an nbgrader plugin.

nbgrader calls the plugin once per notebook with the score and how late the
submission is; the per-assignment policy comes from `course_configs/` through
the `policies` trait, which `nbgrader.settings` fills in (also in the generated
nbgrader_config.py, so formgrader and stock nbgrader apply the same rule).
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Dict

from autograder.course.config import LatePolicy


def penalty(policy: LatePolicy, score: float, seconds_late: float) -> float:
    """Points to deduct: a share of the earned score per started day; all of it past the limit."""
    if seconds_late <= 0 or score <= 0:
        return 0.0
    days = math.ceil(seconds_late / 86400)
    if policy.max_days_late is not None and days > policy.max_days_late:
        return score
    return min(score, score * policy.penalty_per_day * days)


class CoursePolicyPenalty(LateSubmissionPlugin):
    policies = Dict(
        {}, help="assignment id -> {'penalty_per_day': float, 'max_days_late': int | None}"
    ).tag(config=True)

    def late_submission_penalty(
        self, student_id: str, score: float, total_seconds_late: float
    ) -> float | None:
        assignment_id = getattr(self.parent, "assignment_id", None)
        raw = None if assignment_id is None else self.policies.get(assignment_id)
        if raw is None:
            return None
        return penalty(LatePolicy(**raw), score, total_seconds_late)
