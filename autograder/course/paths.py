"""Where things live in the repository; the rest of the code asks here instead of joining paths."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from autograder.course.errors import ConfigError


@dataclass(frozen=True)
class Repo:
    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Repo:
        """The nearest folder upwards holding `course_configs/` (or $AUTOGRADER_ROOT)."""
        env = os.environ.get("AUTOGRADER_ROOT")
        if env:
            root = Path(env).resolve()
            if not (root / "course_configs").is_dir():
                raise ConfigError(f"AUTOGRADER_ROOT={env}: no course_configs/ folder there")
            return cls(root)
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "course_configs").is_dir():
                return cls(folder)
        raise ConfigError(
            f"{here}: not inside a course repository (no course_configs/ folder here or above)"
        )

    def rel(self, path: Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.root))
        except ValueError:
            return str(path)

    @property
    def configs(self) -> Path:
        return self.root / "course_configs"

    def course_config(self, course_id: str) -> Path:
        return self.configs / f"{course_id}.yml"

    def course_config_files(self) -> list[Path]:
        return sorted(self.configs.glob("*.yml"))

    @property
    def book(self) -> Path:
        return self.root / "book"

    @property
    def book_generated(self) -> Path:
        """Pages and downloads written by `autograder build`; never edited by hand."""
        return self.book / "_generated"

    @property
    def book_html(self) -> Path:
        return self.book / "_build" / "html"

    def course_dir(self, course_id: str) -> Path:
        """The nbgrader course directory of one course."""
        return self.root / "assignments" / course_id

    def source_dir(self, course_id: str, assignment_id: str) -> Path:
        return self.course_dir(course_id) / "source" / assignment_id

    def counterexamples_dir(self, course_id: str, assignment_id: str) -> Path:
        """Beside source/, not in it: nbgrader releases everything in an assignment's source."""
        return self.course_dir(course_id) / "counterexamples" / assignment_id

    def release_dir(self, course_id: str, assignment_id: str) -> Path:
        return self.course_dir(course_id) / "release" / assignment_id

    def default_db_url(self, course_id: str) -> str:
        return f"sqlite:///{self.course_dir(course_id) / 'gradebook.db'}"
