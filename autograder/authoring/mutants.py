"""Mutants of a reference solution: small changes a test suite should notice.

A mutant is the teacher's solution with one small change inside a solution region
(`### BEGIN SOLUTION` ... `### END SOLUTION`), the kind of slip a student makes: an
operator swapped, a constant off by a little, a condition the wrong way round, a
statement left out, a loop cut short by an early return, a bound off by one. Graded
like a submission (authoring/audit.py), a mutant the tests still pay in full
"survives": the tests cannot tell it from the solution.

Changes are made on the text, at the positions the parser gives, so a mutant differs
from the solution in one place and its diff shows exactly that place; everything else
in the cell (comments, layout) stays as the teacher wrote it.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import hashlib
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from nbformat import NotebookNode

from autograder.course.cells import CellKind, kind_of
from autograder.course.notebooks import SOLUTION_MARKERS, nbgrader_meta

OPERATORS = ("compare", "arithmetic", "constant", "negate", "remove", "early-return", "bound")
"""The kinds of change, in the order a sample takes them (authoring/audit.py)."""

_COMPARE_SWAP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_ARITHMETIC_SWAP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
}
_QUIET = (ast.Pass, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)
"""Statements whose removal is no mutation worth grading (or no valid program)."""


@dataclass(frozen=True)
class Mutant:
    """One changed answer cell of the solution notebook."""

    notebook: str
    grade_id: str
    """The answer cell it changes."""
    operator: str
    line: int
    """Where, in the cell's source (1-based)."""
    before: str
    after: str
    """The cell's source, the teacher's and the changed one."""
    what: str
    """The change in a few words, e.g. "`<` -> `<=`"."""
    id: str = ""
    """Stable while the changed place is: the answer cell, the kind of change and a digest
    of the changed lines, not their line numbers (edits elsewhere keep the id); the same
    change made on two identical lines is told apart by its order (cell_mutants)."""

    def diff(self) -> str:
        """A unified diff of the cell, for the teacher to read."""
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"{self.notebook} [{self.grade_id}] solution",
                tofile=f"{self.notebook} [{self.grade_id}] mutant {self.id}",
                n=1,
            )
        )


def solution_lines(source: str) -> set[int]:
    """The 1-based lines between nbgrader's solution markers (the markers excluded)."""
    begin, end = SOLUTION_MARKERS
    inside, lines = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(begin):
            inside = True
        elif stripped.startswith(end):
            inside = False
        elif inside:
            lines.add(number)
    return lines


class _Source:
    """A cell's text, addressed as the parser addresses it (line, column)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for line in text.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, col: int) -> int:
        # Columns are UTF-8 byte offsets; the cell's lines are short, so decode per line.
        start = self.starts[line - 1]
        raw = self.text[start:].encode("utf-8")[:col]
        return start + len(raw.decode("utf-8", errors="ignore"))

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.offset(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self.offset(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )

    def segment(self, node: ast.AST) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def replace(self, node: ast.AST, text: str) -> str:
        start, end = self.span(node)
        return self.text[:start] + text + self.text[end:]

    def insert_before(self, node: ast.stmt, statement: str) -> str:
        start = self.starts[node.lineno - 1]
        indent = " " * node.col_offset
        return self.text[:start] + f"{indent}{statement}\n" + self.text[start:]


def _inside(node: ast.AST, lines: set[int]) -> bool:
    first, last = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    return (
        first is not None and last is not None and all(n in lines for n in range(first, last + 1))
    )


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string statements that are docstrings: no change of theirs is a mutant."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0]))
    return found


_ATOMS = (ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.Call)


def _grouped(src: _Source, node: ast.expr) -> str:
    """The expression's text, in parentheses unless it is one operand already."""
    text = src.segment(node)
    return text if isinstance(node, _ATOMS) else f"({text})"


def _nudged(value: object) -> object | None:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value * 1.5 if value else 1.0
    return None


def _edits(tree: ast.Module, src: _Source, lines: set[int]) -> Iterator[tuple[str, int, str, str]]:
    """(operator, line, changed cell source, what) for every change inside `lines`."""
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _early_returns(node, src, lines)  # its def line may be outside
        if not _inside(node, lines):
            continue
        line = node.lineno  # type: ignore[attr-defined]
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                swap = _COMPARE_SWAP.get(type(op))
                if swap is not None:
                    changed = ast.Compare(node.left, list(node.ops), node.comparators)
                    changed.ops[i] = swap()
                    what = f"`{_op_text(op)}` -> `{_op_text(swap())}`"
                    yield "compare", line, src.replace(node, ast.unparse(changed)), what
        elif isinstance(node, ast.BoolOp):
            other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            text = ast.unparse(ast.BoolOp(other, node.values))
            what = f"`{_op_text(node.op)}` -> `{_op_text(other)}`"
            yield "compare", line, src.replace(node, f"({text})"), what
        elif isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC_SWAP:
            new = _ARITHMETIC_SWAP[type(node.op)]()
            text = ast.unparse(ast.BinOp(node.left, new, node.right))
            what = f"`{_op_text(node.op)}` -> `{_op_text(new)}`"
            yield "arithmetic", line, src.replace(node, f"({text})"), what
        elif isinstance(node, ast.AugAssign) and type(node.op) in _ARITHMETIC_SWAP:
            new = _ARITHMETIC_SWAP[type(node.op)]()
            text = ast.unparse(ast.AugAssign(node.target, new, node.value))
            what = f"`{_op_text(node.op)}=` -> `{_op_text(new)}=`"
            yield "arithmetic", line, src.replace(node, text), what
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            yield (
                "arithmetic",
                line,
                src.replace(node, f"({src.segment(node.operand)})"),
                ("unary minus dropped"),
            )
        elif isinstance(node, ast.Constant):
            nudged = _nudged(node.value)
            if nudged is not None:
                what = f"`{node.value!r}` -> `{nudged!r}`"
                yield "constant", line, src.replace(node, repr(nudged)), what
        if isinstance(node, ast.If | ast.While | ast.IfExp | ast.Assert):
            test = node.test
            yield (
                "negate",
                line,
                src.replace(test, f"not {_grouped(src, test)}"),
                "condition negated",
            )
        elif isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            for cond in (c for gen in node.generators for c in gen.ifs):
                yield (
                    "negate",
                    line,
                    src.replace(cond, f"not {_grouped(src, cond)}"),
                    "filter negated",
                )
        if isinstance(node, ast.stmt) and not isinstance(node, _QUIET):
            simple = not hasattr(node, "body")
            if simple and id(node) not in docstrings:
                yield "remove", line, src.replace(node, "pass"), "statement removed"
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            for bound, step in ((node.slice.lower, " + 1"), (node.slice.upper, " - 1")):
                if bound is not None and _inside(bound, lines):
                    changed_bound = src.replace(bound, f"{_grouped(src, bound)}{step}")
                    yield "bound", line, changed_bound, f"slice bound{step}"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "range"
            and node.args
            and not node.keywords
        ):
            stop = node.args[0] if len(node.args) == 1 else node.args[1]
            yield "bound", line, src.replace(stop, f"{_grouped(src, stop)} - 1"), "range stop - 1"
            if len(node.args) > 1:
                start = node.args[0]
                moved = src.replace(start, f"{_grouped(src, start)} + 1")
                yield "bound", line, moved, "range start + 1"


def _early_returns(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, src: _Source, lines: set[int]
) -> Iterator[tuple[str, int, str, str]]:
    """The function's final `return value`, moved before one of its top-level loops: the
    work of the loop (and all after it) skipped, its initial value returned."""
    last = fn.body[-1] if fn.body else None
    if not isinstance(last, ast.Return) or last.value is None or not _inside(last, lines):
        return
    value = src.segment(last.value)
    for stmt in fn.body[:-1]:
        if isinstance(stmt, ast.For | ast.While | ast.AsyncFor) and _inside(stmt, lines):
            yield (
                "early-return",
                stmt.lineno,
                src.insert_before(stmt, f"return {value}"),
                ("returns before the loop"),
            )


def _op_text(op: ast.AST) -> str:
    texts = {
        ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
        ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in",
        ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
        ast.Mod: "%", ast.Pow: "**", ast.And: "and", ast.Or: "or",
    }  # fmt: skip
    return texts.get(type(op), type(op).__name__)


def cell_mutants(notebook: str, grade_id: str, source: str) -> list[Mutant]:
    """Every distinct mutant of one answer cell that still compiles, in source order."""
    lines = solution_lines(source)
    if not lines:
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # IPython syntax (magics): the cell is left alone
    seen = {source}
    found = []
    for operator, line, after, what in _edits(tree, _Source(source), lines):
        if after in seen:
            continue
        seen.add(after)
        try:
            compile(after, grade_id, "exec")
        except SyntaxError:
            continue
        found.append(Mutant(notebook, grade_id, operator, line, source, after, what))
    found.sort(key=lambda m: (m.line, OPERATORS.index(m.operator)))
    named, count = [], Counter[str]()
    for mutant in found:
        changed = "\n".join(
            line
            for line in difflib.ndiff(source.splitlines(), mutant.after.splitlines())
            if line[:1] in "+-"
        )
        digest = hashlib.sha256(f"{mutant.what}\n{changed}".encode()).hexdigest()[:8]
        base = f"{grade_id}/{mutant.operator}-{digest}"
        count[base] += 1
        suffix = f"-{count[base]}" if count[base] > 1 else ""
        named.append(dataclasses.replace(mutant, id=base + suffix))
    return named


def notebook_mutants(notebook_file: str, notebook: NotebookNode) -> list[Mutant]:
    """Mutants of every code answer cell of a source notebook."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and kind_of(cell) is CellKind.ANSWER:
            gid = str(nbgrader_meta(cell)["grade_id"])
            found += cell_mutants(notebook_file, gid, cell.source)
    return found


def sample(mutants: list[Mutant], size: int, seed: str) -> list[Mutant]:
    """At most `size` mutants, the same ones on every run for the same solution: every
    kind of change takes its turn (so constants, the most numerous, do not crowd out
    the rest), each kind's mutants in a seeded random order."""
    if len(mutants) <= size:
        return list(mutants)
    rng = random.Random(seed)
    queues: dict[str, list[Mutant]] = {}
    for mutant in sorted(mutants, key=lambda m: m.id):
        queues.setdefault(mutant.operator, []).append(mutant)
    for queue in queues.values():
        rng.shuffle(queue)
    chosen: list[Mutant] = []
    while len(chosen) < size:
        for operator in OPERATORS:
            if queues.get(operator) and len(chosen) < size:
                chosen.append(queues[operator].pop())
    return sorted(chosen, key=lambda m: (m.grade_id, m.line, m.id))
