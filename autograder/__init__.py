"""Course toolkit: book, nbgrader assignments and a sandboxed grading engine."""
