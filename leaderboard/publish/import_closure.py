"""What a program made of project modules imports, read from the source with ``ast``.

The leaderboard Space is a folder that must run without this repository
(:mod:`leaderboard.publish.space_bundle`): the project modules it carries and the
Python packages its ``requirements.txt`` lists are both computed here, from
the real source, not kept by hand.

Rules, matching the project's import discipline:

- project imports are followed transitively wherever they appear: at module
  level and inside functions (a function-level import is still a code path:
  the queue tab, a lazy reader), ``if TYPE_CHECKING:`` blocks excepted (they
  never run);
- a third-party import at module level is *required* (the module cannot load
  without it); one inside a function is *optional* (the project only imports
  optional heavy dependencies there: docker, torch, datasets, ...), reported
  but not required.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

STDLIB: frozenset[str] = frozenset(sys.stdlib_module_names)


@dataclass(frozen=True)
class ImportRef:
    module: str  # absolute dotted name as written (``from a.b import c`` gives ``a.b`` and ``a.b.c``)
    top_level: bool  # runs when the module is imported (not only when a function is called)


def module_path(root: Path, module: str) -> Path | None:
    """The source file of ``module`` under ``root`` (a package's ``__init__.py``), or None."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Collector(ast.NodeVisitor):
    def __init__(self, package: str) -> None:
        self.package = package  # the package relative imports resolve against
        self.depth = 0
        self.refs: list[ImportRef] = []

    def _add(self, name: str) -> None:
        self.refs.append(ImportRef(name, self.depth == 0))

    def _nested(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _nested

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            parts = self.package.split(".") if self.package else []
            parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
            base = ".".join([*parts, *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        if base:
            self._add(base)
        for alias in node.names:
            if alias.name != "*":
                self._add(f"{base}.{alias.name}" if base else alias.name)


def imports_of(path: Path, package: str = "") -> list[ImportRef]:
    """Every import statement of the file at ``path``; ``package``: where relative imports resolve."""
    collector = _Collector(package)
    collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return collector.refs


@dataclass
class Closure:
    modules: tuple[str, ...]  # project modules the program needs, parent packages included, sorted
    required: dict[str, list[str]] = field(default_factory=dict)  # third-party top-level name -> files (module level)
    optional: dict[str, list[str]] = field(default_factory=dict)  # ... imported only inside functions

    def files(self, root: Path) -> dict[str, Path]:
        """Repository-relative path -> source file of every module."""
        out = {}
        for module in self.modules:
            path = module_path(root, module)
            if path is not None:
                out[path.relative_to(root).as_posix()] = path
        return out


def closure(root: Path, entry: Path, packages: Iterable[str]) -> Closure:
    """The project modules (under ``root``, in ``packages``) that the script ``entry`` needs, and what
    those files import from outside the project and the standard library."""
    project = frozenset(packages)
    seen: set[str] = set()
    required: dict[str, set[str]] = {}
    optional: dict[str, set[str]] = {}
    todo: list[tuple[Path, str, str]] = [(entry, "", entry.name)]  # (file, its package, name to report)

    def enqueue(module: str) -> None:
        parts = module.split(".")
        for i in range(1, len(parts) + 1):  # a module's parent packages run first
            name = ".".join(parts[:i])
            path = module_path(root, name)
            if name not in seen and path is not None:
                seen.add(name)
                package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                todo.append((path, package, path.relative_to(root).as_posix()))

    while todo:
        path, package, label = todo.pop()
        for ref in imports_of(path, package):
            top = ref.module.split(".")[0]
            if top in project:
                enqueue(ref.module)
            elif top not in STDLIB:
                (required if ref.top_level else optional).setdefault(top, set()).add(label)
    for name in required:
        optional.pop(name, None)
    return Closure(tuple(sorted(seen)), {k: sorted(v) for k, v in sorted(required.items())},
                   {k: sorted(v) for k, v in sorted(optional.items())})
