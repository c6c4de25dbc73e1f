"""The package's shape, checked: no import cycles, imports only go down the layers, and
importing a module changes no process-wide state (only `*_main` programs act on import).

The import graph is read from the source (ast), not from what an import happens to
load, so an import inside a function or under `if TYPE_CHECKING:` counts like any
other: all of them are edges of the graph, for the cycle check and for the layer
check alike. A type-only import still ties a module to the other one's names, and a
cycle through it would be a real one as soon as someone drops the `TYPE_CHECKING`.
Not counted: names of modules in strings (nbgrader's preprocessors by dotted name,
multiprocessing's preload list), which nothing but the program that loads them reads.

`import a.b.c` is an edge to a.b.c; `from a.b import c` to a.b.c when that is a
module, else to a.b. The parent packages an import initialises on the way are not
edges: every package's `__init__` would otherwise be in a cycle with its own modules.
"""

from __future__ import annotations

import ast
import graphlib
import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.import_probe import differences

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograder"

LAYERS: list[tuple[str, ...]] = [
    ("cli",),
    ("reporting", "authoring", "grading", "student", "book", "delivery"),
    ("nbgrader",),
    ("runtime",),
    ("course", "testing"),
]
"""Top to bottom: a package may import its own modules and those of any layer below
its own, never one above. Packages of one layer may import each other, except for
the pairs in FORBIDDEN, and never both ways (see test_no_cycle_between_packages)."""

FORBIDDEN: set[tuple[str, str]] = {("grading", "authoring")}
"""(importer, imported) pairs of one layer that must not depend on each other."""

RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int

    def where(self) -> str:
        return f"{module_path(self.importer)}:{self.line}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_path(name: str) -> str:
    base = ROOT.joinpath(*name.split("."))
    if base.is_dir():
        return str((base / "__init__.py").relative_to(ROOT))
    return str(base.with_suffix(".py").relative_to(ROOT))


def package_modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(path): path for path in sorted(package.rglob("*.py"))}


def is_program(module: str) -> bool:
    """`*_main` modules are programs: they act when imported, and only their runner does."""
    return module.rsplit(".", 1)[-1].endswith("_main")


def imports_of(module: str, path: Path, known: set[str]) -> list[Import]:
    """Every import statement of the module, wherever it stands, resolved to module names
    (all of them: the standard library's and third parties' too)."""
    is_package = path.name == "__init__.py"
    found: list[Import] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".")
                if not is_package:
                    anchor.pop()
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base == "__future__":
                continue
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.append(Import(module, target if target in known else base, node.lineno))
    return found


def import_graph() -> dict[str, list[Import]]:
    """Each module of the package, with its imports of the package's own modules."""
    modules = package_modules()
    known = set(modules)
    return {
        module: [imp for imp in imports_of(module, path, known) if imp.imported in known]
        for module, path in modules.items()
    }


def package_of(module: str) -> str | None:
    """The top-level package of autograder a module belongs to (None for autograder itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """Cycles (first node repeated at the end), found by the standard library's
    topological sorter: after each one found, one of its edges is set aside and the
    graph sorted again, so every cycle is reported, not only the first."""
    remaining = {node: set(targets) for node, targets in edges.items()}
    found = []
    while True:
        try:
            graphlib.TopologicalSorter(remaining).prepare()
        except graphlib.CycleError as exc:
            # The sorter names a cycle from the imported back to the importer.
            cycle = list(reversed(exc.args[1]))
            found.append(cycle)
            remaining[cycle[0]].discard(cycle[1])
        else:
            return found


def describe_cycle(path: list[str], graph: dict[str, list[Import]], package_level: bool) -> str:
    steps = []
    for importer, imported in zip(path, path[1:], strict=False):
        if package_level:
            edges = [
                imp
                for module, imports in graph.items()
                if package_of(module) == importer
                for imp in imports
                if package_of(imp.imported) == imported
            ]
        else:
            edges = [imp for imp in graph[importer] if imp.imported == imported]
        where = dict.fromkeys(f"{imp.where()} imports {imp.imported}" for imp in edges)
        steps.append(f"  {importer} -> {imported}: " + "; ".join(where))
    return " -> ".join(path) + "\n" + "\n".join(steps)


def test_no_import_cycle_between_modules() -> None:
    graph = import_graph()
    edges = {module: sorted({imp.imported for imp in imports}) for module, imports in graph.items()}
    found = [describe_cycle(path, graph, package_level=False) for path in cycles(edges)]
    assert not found, "import cycles between modules:\n" + "\n".join(found)


def test_no_cycle_between_packages() -> None:
    graph = import_graph()
    edges: dict[str, set[str]] = {}
    for module, imports in graph.items():
        for imp in imports:
            source, target = package_of(module), package_of(imp.imported)
            if source and target and source != target:
                edges.setdefault(source, set()).add(target)
                edges.setdefault(target, set())
    found = cycles({package: sorted(targets) for package, targets in edges.items()})
    described = [describe_cycle(path, graph, package_level=True) for path in found]
    assert not described, "import cycles between packages:\n" + "\n".join(described)


def test_every_package_has_a_layer() -> None:
    packages = {package_of(module) for module in package_modules()} - {None}
    assert packages <= set(RANK), f"add {sorted(packages - set(RANK))} to LAYERS"


def layer_violations(graph: dict[str, list[Import]]) -> list[str]:
    found = []
    for module, imports in graph.items():
        source = package_of(module)
        for imp in imports:
            target = package_of(imp.imported)
            if source is None or target is None or source == target:
                continue
            if source not in RANK or target not in RANK:
                continue  # test_every_package_has_a_layer names it
            if RANK[target] < RANK[source]:
                found.append(
                    f"{imp.where()}: {module} imports {imp.imported}, "
                    f"but {source}/ is below {target}/"
                )
            elif (source, target) in FORBIDDEN:
                found.append(
                    f"{imp.where()}: {module} imports {imp.imported}, "
                    f"but {source}/ never imports {target}/"
                )
    return found


def test_imports_go_down_the_layers() -> None:
    found = layer_violations(import_graph())
    assert not found, "imports against the layer order:\n" + "\n".join(found)


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The graph reader sees an import in a function and under TYPE_CHECKING, and the
    checks name the cycle and the import against the layers."""
    graph = import_graph()
    graph["autograder.course.paths"] = graph["autograder.course.paths"] + [
        Import("autograder.course.paths", "autograder.cli.app", 1)
    ]
    assert any(
        "autograder.course.paths imports autograder.cli.app, but course/ is below cli/" in v
        for v in layer_violations(graph)
    )
    edges = {module: sorted({imp.imported for imp in imports}) for module, imports in graph.items()}
    assert any("autograder.course.paths" in path for path in cycles(edges))
    graph["autograder.grading.job"] = graph["autograder.grading.job"] + [
        Import("autograder.grading.job", "autograder.authoring.release", 1)
    ]
    assert any(
        "autograder.grading.job imports autograder.authoring.release, "
        "but grading/ never imports authoring/" in v
        for v in layer_violations(graph)
    )

    probe = tmp_path / "probe.py"
    probe.write_text(
        textwrap.dedent(
            """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from autograder.grading import store
            def later():
                from . import paths
                import autograder.runtime.sandbox
            """
        ),
        encoding="utf-8",
    )
    imported = {
        imp.imported for imp in imports_of("autograder.course.probe", probe, set(package_modules()))
    }
    assert imported >= {
        "autograder.grading.store",
        "autograder.course.paths",
        "autograder.runtime.sandbox",
    }


# --- Importing changes nothing ----------------------------------------------------------


KNOWN_CHANGES: dict[tuple[str, str], str] = {}
"""(module, what changed) of changes known and not yet fixed; any other change fails."""


def third_party_imports() -> list[str]:
    """Every module outside the package that the package imports anywhere, so the probe
    loads them before ours: their own import-time changes are not ours to answer for."""
    known = set(package_modules())
    names = {
        imp.imported
        for module, path in package_modules().items()
        if not is_program(module)
        for imp in imports_of(module, path, known)
        if imp.imported.split(".")[0] != "autograder"
    }
    return sorted(names)


def run_probe(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.import_probe", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def dependencies_first(graph: dict[str, list[Import]]) -> list[str]:
    """The modules in an order where each comes after those it imports (as far as cycles
    allow), so that a module's import loads little but itself, and is blamed for its own."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(module: str) -> None:
        if module in seen:
            return
        seen.add(module)
        for imp in graph[module]:
            visit(imp.imported)
        order.append(module)

    for module in sorted(graph):
        visit(module)
    return order


def test_importing_a_module_changes_no_global_state() -> None:
    modules = [module for module in dependencies_first(import_graph()) if not is_program(module)]
    report = run_probe("--preload", ",".join(third_party_imports()), *modules)
    assert not report["failed"], "could not import:\n" + "\n".join(report["failed"])
    assert report["imported"] == modules
    problems = []
    for entry in report["changed"]:
        changes = [
            change
            for change in entry["changes"]
            if (entry["module"], change.split(":")[0]) not in KNOWN_CHANGES
        ]
        if changes:
            problems.append(
                f"import {entry['module']} (loading {', '.join(entry['loaded'])}):\n  "
                + "\n  ".join(changes)
            )
    assert not problems, "importing changed global state:\n" + "\n".join(problems)


def test_importing_the_cli_alone_changes_nothing() -> None:
    """The done criterion of the layering: `python -c "import autograder.cli"`, with
    nothing imported before it, leaves nbgrader, jsonschema, SQLAlchemy and the process
    as they were: as a process that never imported it finds them."""
    report = run_probe("--alone", "autograder.cli")
    assert report["imported"] == ["autograder.cli"]
    assert not report["changed"], "\n".join(report["changed"][0]["changes"])
    differ = differences(run_probe("--alone")["after"], report["after"])
    assert not differ, "`import autograder.cli` (not imported -> imported):\n" + "\n".join(differ)


def test_install_refuses_an_unknown_nbgrader() -> None:
    code = textwrap.dedent(
        """
        import jsonschema, nbgrader, nbgrader.api, nbgrader.nbgraderformat.common, sqlalchemy
        from autograder.course.errors import AutograderError
        from autograder.nbgrader import patches
        nbgrader.__version__ = "0.10.0"
        try:
            patches.install()
        except AutograderError as error:
            print(error)
        else:
            print("installed")
        assert not patches.installed()
        assert nbgrader.api.create_engine is sqlalchemy.create_engine
        assert "create_all" not in vars(nbgrader.api.Base.metadata)
        assert nbgrader.nbgraderformat.common.jsonschema is jsonschema
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    message = done.stdout.strip()
    assert "nbgrader 0.10.0 is installed" in message
    assert "0.9.x" in message


@pytest.mark.parametrize("module", sorted(m for m in package_modules() if is_program(m)))
def test_programs_are_imported_by_nobody(module: str) -> None:
    importers = [
        imp.where()
        for imports in import_graph().values()
        for imp in imports
        if imp.imported == module
    ]
    assert not importers, f"{module} acts when imported, yet {importers} import it"
