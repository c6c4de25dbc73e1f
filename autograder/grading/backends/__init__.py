"""Where jobs run: a local process pool (local.py) or a Dask cluster (dask.py).

A backend takes `Job`s and yields (job, result or the exception it raised) as they
finish, in whatever order (futures.outcomes); both run the same `job.grade_job`.
A new backend needs only that: see the README's architecture section.
"""
