"""What a builder needs from a notebook: a dependency slice of its top-level statements.

Nothing here runs student code: cells are parsed (``ast``) and their names resolved
(``symtable``). A statement is taken when a builder needs a name it binds, as running the
notebook top to bottom and then calling the builder would: a name read when a statement
runs (a class's base, a top-level expression) is the binding before that statement; a name
read inside a function body is read when the function is called, after every cell ran, so
it is the notebook's last binding. ``cfg.append(3)`` and ``cfg["a"] = 1`` change ``cfg``
in part and come with it. Everything else (training loops, prints, plots, big tensors at top
level, ``input()``) is never run. IPython's own syntax (``%magic``, ``!shell``, ``x?``) is
not Python: those lines are replaced by ``pass`` before parsing, and never run either.
"""

from __future__ import annotations

import ast
import enum
import re
import symtable
from collections.abc import Iterable
from dataclasses import dataclass, replace

from grader.notebook.read import CodeCell, Notebook

#: Cell magics whose body is Python run as is; any other (%%bash, %%writefile) is not Python.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture"})
_IPYTHON_LINE = re.compile(r"^(\s*)(?:[%!]|\?|[\w.]+\?\??\s*$|[\w.,\s]+=\s*[%!])")


class CellUse(enum.StrEnum):
    USED = "used"  # every statement is taken
    PARTLY = "partly used"  # some statements are taken, the rest never run
    SKIPPED = "skipped"  # nothing in it is taken


class SkipReason(enum.StrEnum):
    NOT_NEEDED = "not needed"  # no builder needs what it defines
    SYNTAX_ERROR = "syntax error"  # it does not parse, and defines nothing a builder needs
    CELL_MAGIC = "cell magic"  # %%bash and the like: not Python
    EMPTY = "empty"  # nothing but comments, magics and shell lines


@dataclass(frozen=True, kw_only=True)
class Statement:
    """One top-level statement of a cell and the names it binds and reads."""

    cell: CodeCell
    line: int  # 1-based, in its cell
    end_line: int
    column: int  # where it starts on its first line (after ``a = 1;`` it is not 0)
    source: str  # its text, from ``column`` of ``line`` to its end
    binds: frozenset[str]  # names it rebinds whole (def, class, import, ``x = …``)
    changes: frozenset[str]  # names it may bind or changes in part (``if``, ``x.append``)
    reads_now: frozenset[str]  # names read when it runs
    reads_later: frozenset[str]  # names read when a function it defines is called
    whole_cell: bool = False  # a cell that does not parse, kept whole where it is needed
    imports: bool = False  # an import: a module's methods called later do not change it
    calls_method: bool = False  # ``x.method(…)`` as a statement: it changes ``x`` unless a module


@dataclass(frozen=True, kw_only=True)
class CellReport:
    """What became of one code cell, for the report's list of what was not run."""

    cell: int
    use: CellUse
    reason: SkipReason | None = None
    skipped_lines: tuple[int, ...] = ()  # lines of statements never run (PARTLY)
    ipython_lines: tuple[int, ...] = ()  # %magic and !shell lines, never run
    detail: str = ""  # the syntax error, or the cell magic


@dataclass(frozen=True, kw_only=True)
class ParsedNotebook:
    notebook: Notebook
    statements: tuple[Statement, ...]
    sources: dict[int, str]  # cell number → its Python (IPython lines replaced by ``pass``)
    cells: dict[int, CellReport]  # what parsing alone found: syntax errors, cell magics, empties
    ipython_lines: dict[int, tuple[int, ...]]


def parse(notebook: Notebook) -> ParsedNotebook:
    statements: list[Statement] = []
    sources: dict[int, str] = {}
    found: dict[int, CellReport] = {}
    ipython: dict[int, tuple[int, ...]] = {}
    for cell in notebook.cells:
        first = cell.source.lstrip().split("\n", 1)[0]
        if first.startswith("%%"):
            magic = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
            if magic not in _PYTHON_CELL_MAGICS:
                found[cell.number] = CellReport(
                    cell=cell.number, use=CellUse.SKIPPED, reason=SkipReason.CELL_MAGIC, detail=f"%%{magic}"
                )
                continue
        source, replaced = python_source(cell.source)
        sources[cell.number], ipython[cell.number] = source, replaced
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            found[cell.number] = CellReport(
                cell=cell.number,
                use=CellUse.SKIPPED,
                reason=SkipReason.SYNTAX_ERROR,
                detail=f"line {error.lineno}: {error.msg}",
                ipython_lines=replaced,
            )
            statements.append(_unparsed(cell, source))
            continue
        cell_statements = [_statement(cell, source, node) for node in tree.body]
        cell_statements = [s for s in cell_statements if s is not None]
        if not cell_statements:
            found[cell.number] = CellReport(
                cell=cell.number, use=CellUse.SKIPPED, reason=SkipReason.EMPTY, ipython_lines=replaced
            )
        statements += cell_statements
    # plt.show() and torch.manual_seed(0) change no name a builder could need.
    imported = {name for s in statements if s.imports for name in s.binds}
    statements = [replace(s, changes=s.changes - imported) if s.calls_method else s for s in statements]
    return ParsedNotebook(
        notebook=notebook, statements=tuple(statements), sources=sources, cells=found, ipython_lines=ipython
    )


def python_source(source: str) -> tuple[str, tuple[int, ...]]:
    """The cell with IPython's lines (``%matplotlib inline``, ``!pip install``, ``x = !ls``,
    ``len?``) replaced by ``pass`` at their indentation, so line numbers stay the cell's."""
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        lines[0] = ""  # a Python cell magic (%%time): its body runs as is
    replaced = []
    for number, line in enumerate(lines, start=1):
        match = _IPYTHON_LINE.match(line)
        if match and line.strip():
            lines[number - 1] = f"{match.group(1)}pass"
            replaced.append(number)
    return "\n".join(lines), tuple(replaced)


def _statement(cell: CodeCell, source: str, node: ast.stmt) -> Statement | None:
    if isinstance(node, ast.Pass):
        return None
    if _is_main_guard(node):
        return None
    text = ast.get_source_segment(source, node) or ""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    if first < node.lineno:  # decorators are part of the statement
        lines = source.split("\n")
        text = "\n".join(lines[first - 1 : node.lineno - 1]) + "\n" + text
    column = node.col_offset if first == node.lineno else 0
    bound, read_now, read_later = _names(text)
    if isinstance(
        node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom
    ) or (
        isinstance(node, ast.Assign | ast.AnnAssign)
        and all(isinstance(t, ast.Name | ast.Tuple | ast.List | ast.Starred) for t in _targets(node))
    ):
        binds, changes = bound, frozenset()
    else:
        binds, changes = frozenset(), bound | _changed_in_part(node)
    return Statement(
        cell=cell,
        line=first,
        end_line=node.end_lineno or node.lineno,
        column=column,
        source=text,
        binds=binds,
        changes=changes,
        reads_now=read_now,
        reads_later=read_later,
        imports=isinstance(node, ast.Import | ast.ImportFrom),
        calls_method=isinstance(node, ast.Expr),
    )


def _unparsed(cell: CodeCell, source: str) -> Statement:
    """A cell that does not parse binds what its top-level lines seem to define; where a
    builder needs one of those, the whole cell is run so the error names its line."""
    names = re.findall(r"^(?:async\s+)?(?:def|class)\s+(\w+)|^(\w+)\s*(?::[^=]*)?=[^=]", source, flags=re.M)
    bound = frozenset(a or b for a, b in names)
    return Statement(
        cell=cell,
        line=1,
        end_line=source.count("\n") + 1,
        column=0,
        source=source,
        binds=frozenset(),
        changes=bound,
        reads_now=frozenset(),
        reads_later=frozenset(),
        whole_cell=True,
    )


def _is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` runs only as a script, never on import."""
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name)
        and node.test.left.id == "__name__"
    )


def _targets(node: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return list(node.targets) if isinstance(node, ast.Assign) else [node.target]


def _changed_in_part(node: ast.stmt) -> frozenset[str]:
    """``x.attr = …``, ``x[k] = …``, ``x += …`` and ``x.method(…)`` as a statement change ``x``."""
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = _targets(node) if not isinstance(node, ast.AugAssign) else [node.target]
    elif (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
    ):
        targets = [node.value.func.value]
    names = set()
    for target in targets:
        base = target
        while isinstance(base, ast.Attribute | ast.Subscript):
            base = base.value
        if isinstance(base, ast.Name):
            names.add(base.id)
    return frozenset(names)


def _names(text: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The names a statement binds at top level, reads when it runs, and reads only when a
    function it defines is called (Python's own scoping, through symtable)."""
    table = symtable.symtable(text, "<cell>", "exec")
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    now = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    later: set[str] = set()

    def walk(parent: symtable.SymbolTable, deferred: bool) -> None:
        for child in parent.get_children():
            # A function's body runs when it is called; a class body and a comprehension
            # run where they stand.
            runs_later = deferred or (
                child.get_type() == "function" and child.get_name() not in _COMPREHENSIONS
            )
            for symbol in child.get_symbols():
                if symbol.is_global() and symbol.is_referenced():
                    (later if runs_later else now).add(symbol.get_name())
            walk(child, runs_later)

    walk(table, deferred=False)
    return frozenset(bound), frozenset(now), frozenset(later)


_COMPREHENSIONS = frozenset({"listcomp", "setcomp", "dictcomp", "genexpr"})


def needed(parsed: ParsedNotebook, roots: Iterable[str]) -> frozenset[int]:
    """The indices of the statements that give ``roots`` the values they have once every
    cell ran, and of those statements' own needs, transitively."""
    statements = parsed.statements
    end = len(statements)
    taken: set[int] = set()
    asked: set[tuple[str, int]] = set()
    pending = [(name, end) for name in roots]
    while pending:
        name, before = pending.pop()
        if (name, before) in asked:
            continue
        asked.add((name, before))
        for index in range(before - 1, -1, -1):
            statement = statements[index]
            if name not in statement.binds and name not in statement.changes:
                continue
            if index not in taken:
                taken.add(index)
                pending += [(n, index) for n in statement.reads_now | statement.changes]
                pending += [(n, end) for n in statement.reads_later]
            if name in statement.binds:
                break
    return frozenset(taken)


def defined_names(parsed: ParsedNotebook) -> frozenset[str]:
    """Every name some statement binds, whole or in part (a builder's name among them)."""
    return frozenset(name for s in parsed.statements for name in s.binds | s.changes)


def cell_reports(parsed: ParsedNotebook, taken: frozenset[int]) -> tuple[CellReport, ...]:
    """Every code cell's fate once the ``taken`` statements are known, in notebook order."""
    by_cell: dict[int, list[tuple[int, Statement]]] = {}
    for index, statement in enumerate(parsed.statements):
        by_cell.setdefault(statement.cell.number, []).append((index, statement))
    reports = []
    for cell in parsed.notebook.cells:
        known = parsed.cells.get(cell.number)
        pairs = by_cell.get(cell.number, [])
        used = [s for i, s in pairs if i in taken]
        ipython = parsed.ipython_lines.get(cell.number, ())
        if used and used[0].whole_cell:
            reports.append(CellReport(cell=cell.number, use=CellUse.USED, ipython_lines=ipython))
        elif known is not None:
            reports.append(known)
        elif not used:
            reports.append(
                CellReport(
                    cell=cell.number, use=CellUse.SKIPPED, reason=SkipReason.NOT_NEEDED, ipython_lines=ipython
                )
            )
        elif len(used) == len(pairs):
            reports.append(CellReport(cell=cell.number, use=CellUse.USED, ipython_lines=ipython))
        else:
            lines = sorted(
                {line for i, s in pairs if i not in taken for line in range(s.line, s.end_line + 1)}
            )
            reports.append(
                CellReport(
                    cell=cell.number,
                    use=CellUse.PARTLY,
                    reason=SkipReason.NOT_NEEDED,
                    skipped_lines=tuple(lines),
                    ipython_lines=ipython,
                )
            )
    return tuple(reports)
