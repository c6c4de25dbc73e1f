"""Delivering a course to students: the roster, and (to come) the hub and nbgrader's exchange."""
