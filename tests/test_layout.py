"""The house layout (issue 27): one room per concept, read from the source with ``ast``.

* no module of ``promoter_model/`` or ``app/`` over 400 lines, and no file of ``tests/``,
  ``bench/`` or ``scripts/`` either;
* no import of another module's ``_private`` name (a ``_private`` module only from inside its
  package);
* no import cycle between modules (every import statement counts, function-level ones too);
* the dashboard never imports the command line (``promoter_model.cli``);
* at most 8 modules at the root of ``promoter_model/``;
* every subpackage's ``__init__`` has a docstring naming each of its modules.

Nothing here imports the code it reads: a new subpackage is checked as soon as it exists.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("promoter_model", "app")
#: Folders of tests and command-line scripts: not packages, held to the same line cap.
SCRIPT_FOLDERS = ("tests", "bench", "scripts")
MAX_LINES = 400
MAX_ROOT_MODULES = 8
#: Subpackages being written on main while this test landed: their ``__init__`` docstrings
#: are their authors' to complete, so a module missing from one is an expected failure
#: (reported, not failing) until it is listed. Every other rule holds for them as for all.
IN_PROGRESS: set = set()


def _modules() -> dict:
    """Dotted module name -> path, for every ``.py`` file of the package and the app."""
    out = {}
    for top in PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _scripts() -> dict:
    """Path relative to the repository -> path, for every ``.py`` file of the script folders."""
    return {str(path.relative_to(ROOT)): path for top in SCRIPT_FOLDERS
            for path in sorted((ROOT / top).rglob("*.py"))}


SCRIPTS = _scripts()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _imports(name: str):
    """``(line, imported module, imported names)`` of every import statement in ``name``."""
    tree = ast.parse(MODULES[name].read_text(), filename=str(MODULES[name]))
    package = name if _is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            yield node.lineno, base, tuple(a.name for a in node.names)


def _targets(module: str, names) -> set:
    """The modules of ours an import statement loads: a named submodule, else the module."""
    found = {f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES}
    if len(found) < len(names) or not names:
        parts = module.split(".")
        while parts and ".".join(parts) not in MODULES:
            parts.pop()
        if parts:
            found.add(".".join(parts))
    return found


def _graph() -> dict:
    return {name: {t for _, module, names in _imports(name) for t in _targets(module, names)}
            for name in MODULES}


def _cycles(graph: dict) -> list:
    """Strongly connected components of more than one module, or a module importing itself.

    Tarjan's algorithm, iterative.
    """
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph[node]:
                        out.append(sorted(component))
    return out


def test_the_checks_read_every_module():
    assert "promoter_model" in MODULES and "app.main" in MODULES
    assert {"tests/test_layout.py", "bench/benchdoc.py", "scripts/model_card.py"} <= set(SCRIPTS)
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}, "b": set()}) == [["a"]]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_the_line_cap(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines (cap {MAX_LINES})"


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_no_test_or_script_over_the_line_cap(name):
    lines = len(SCRIPTS[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines (cap {MAX_LINES})"


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def test_no_import_of_another_modules_private_name():
    """A ``_name`` is never imported from another module; a ``_module`` (``plot._base``) is
    imported only from inside its own package.
    """
    found = []
    for name in MODULES:
        for line, module, names in _imports(name):
            private = [n for n in names if _private(n)]
            parts = module.split(".")
            for k, part in enumerate(parts):
                home = ".".join(parts[:k])
                if _private(part) and name != home and not name.startswith(home + "."):
                    private.append(module)
            if private and module != name:
                found.append(f"{MODULES[name].relative_to(ROOT)}:{line}: {module} "
                             f"{', '.join(private)}")
    assert not found, "private names imported across modules:\n" + "\n".join(found)


def test_no_import_cycle():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_app_never_imports_the_command_line():
    found = []
    for name in MODULES:
        if not name.startswith("app"):
            continue
        for line, module, names in _imports(name):
            loaded = {module} | {f"{module}.{n}" for n in names}
            if any(m == "promoter_model.cli" or m.startswith("promoter_model.cli.")
                   for m in loaded):
                found.append(f"{MODULES[name].relative_to(ROOT)}:{line}: {module}")
    assert not found, "the app imports the CLI:\n" + "\n".join(found)


def test_the_package_never_imports_the_app():
    found = [f"{MODULES[name].relative_to(ROOT)}:{line}: {module}"
             for name in MODULES if name.startswith("promoter_model")
             for line, module, _ in _imports(name) if module.split(".")[0] == "app"]
    assert not found, "the package imports the app:\n" + "\n".join(found)


def test_few_modules_at_the_package_root():
    root = sorted(p.name for p in (ROOT / "promoter_model").glob("*.py"))
    assert len(root) <= MAX_ROOT_MODULES, f"{len(root)} modules at the root: {root}"


def _subpackages() -> list:
    return sorted(name for name in MODULES if _is_package(name) and "." in name)


@pytest.mark.parametrize("name", _subpackages())
def test_every_subpackage_says_what_lives_there(name):
    init = MODULES[name]
    doc = ast.get_docstring(ast.parse(init.read_text())) or ""
    assert doc, f"{init} has no docstring"
    modules = sorted(p.stem for p in init.parent.glob("*.py") if p.name != "__init__.py")
    modules += sorted(p.name for p in init.parent.iterdir()
                      if p.is_dir() and (p / "__init__.py").is_file())
    missing = [m for m in modules if not re.search(rf"(?<!\w){re.escape(m)}\b", doc)]
    if missing and name in IN_PROGRESS:
        pytest.xfail(f"{name} is being written: its docstring does not name "
                     f"{', '.join(missing)} yet")
    assert not missing, f"{init}'s docstring does not name {', '.join(missing)}"
