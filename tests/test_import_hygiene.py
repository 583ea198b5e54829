"""Nothing below tui/ imports Textual: every capability works without a terminal."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "briefreader"


def test_no_textual_outside_tui() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if "tui" in path.relative_to(SRC).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.split(".")[0] == "textual" for name in names):
                offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_sample_copy_in_package_matches_articles() -> None:
    articles = SRC.parent.parent / "articles"
    for path in articles.iterdir():
        assert (SRC / "sample" / path.name).read_bytes() == path.read_bytes()


def test_reader_starts_without_the_heavy_modules() -> None:
    """First paint comes before the index is opened: importing the reader must not pull in
    spaCy, torch, the entity pipeline or the search library (each is imported when used)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import briefreader.tui.app\n"
        "heavy = ('spacy', 'torch', 'briefreader.text.entities', 'briefreader.search.library')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


# ---------------------------------------------------------------- layers, cycles, private names

# Which top-level parts of the package each part may import (besides itself and the shared
# ``models``/``workspace``): text -> search/notes -> pipeline/sync -> cli/tui. ``search.index``
# (the write side) may not import the read side of ``search``.
BASE = {"briefreader", "briefreader.models", "briefreader.workspace", "briefreader.text"}
SEARCH = {"briefreader.search", "briefreader.search.index"}
ALLOWED_LAYERS = {
    "briefreader": set(),  # a module not listed below may import nothing of ours: add it
    "briefreader.models": set(),
    "briefreader.workspace": {"briefreader.models"},
    "briefreader.__main__": {"briefreader.cli"},
    "briefreader.text": {"briefreader", "briefreader.models", "briefreader.workspace"},
    "briefreader.search.index": BASE,
    "briefreader.search": {*BASE, "briefreader.search.index"},
    "briefreader.notes": BASE,
    "briefreader.sync": {*BASE, *SEARCH, "briefreader.notes"},
    "briefreader.pipeline": {*BASE, *SEARCH, "briefreader.notes", "briefreader.sync"},
    "briefreader.cli": {
        *BASE,
        *SEARCH,
        "briefreader.notes",
        "briefreader.sync",
        "briefreader.pipeline",
        "briefreader.tui",  # ``briefreader`` with no subcommand opens the reader
    },
    "briefreader.tui": {
        *BASE,
        *SEARCH,
        "briefreader.notes",
        "briefreader.sync",
        "briefreader.pipeline",
    },
}


def module_name(path: Path, root: Path) -> str:
    """``briefreader/search/library.py`` -> ``briefreader.search.library`` (packages too)."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> tuple[dict[str, set[str]], list[str]]:
    """Every import (top-level, in functions, under TYPE_CHECKING) between the modules of the
    package at ``root``, and every import of another module's private name."""
    modules = {module_name(path, root): path for path in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    private: list[str] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            for target, bound in _imported(node, modules):
                if target != name:
                    graph[name].add(target)
                if bound is not None:
                    aliases[bound] = target
            if isinstance(node, ast.ImportFrom) and node.module in modules:
                private += [
                    f"{name}: from {node.module} import {alias.name}"
                    for alias in node.names
                    if _is_private(alias.name) and f"{node.module}.{alias.name}" not in modules
                ]
        private += _private_attributes(name, tree, aliases)
    return graph, private


def _imported(node: ast.AST, modules: dict[str, Path]) -> list[tuple[str, str | None]]:
    """(module imported, local name bound to that module or None) for one import node."""
    found: list[tuple[str, str | None]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name in modules:
                found.append((alias.name, alias.asname))
    elif isinstance(node, ast.ImportFrom) and node.module in modules:
        for alias in node.names:
            submodule = f"{node.module}.{alias.name}"
            if submodule in modules:
                found.append((submodule, alias.asname or alias.name))
            else:
                found.append((node.module, None))
    return found


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_attributes(name: str, tree: ast.AST, aliases: dict[str, str]) -> list[str]:
    """``module._name`` where ``module`` is another of our modules imported by name."""
    return [
        f"{name}: {node.value.id}.{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in aliases
        and _is_private(node.attr)
    ]


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (each one is a cycle)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in order:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], order[target])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in order:
            visit(module)
    return cycles


def layer_of(module: str) -> str:
    """The most specific entry of ``ALLOWED_LAYERS`` a module belongs to."""
    matches = [
        layer for layer in ALLOWED_LAYERS if module == layer or module.startswith(layer + ".")
    ]
    return max(matches, key=len)


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Imports that go up or sideways across the layers."""
    found = []
    for module, targets in sorted(graph.items()):
        layer = layer_of(module)
        allowed = {layer, *ALLOWED_LAYERS[layer]}
        found += [f"{module} -> {t}" for t in sorted(targets) if layer_of(t) not in allowed]
    return found


def test_no_import_cycle_in_src() -> None:
    graph, _ = import_graph(SRC)
    assert import_cycles(graph) == []


def test_no_module_imports_a_private_name_of_another() -> None:
    _, private = import_graph(SRC)
    assert private == []


def test_every_import_follows_the_layers() -> None:
    graph, _ = import_graph(SRC)
    assert layer_violations(graph) == []


def test_the_contract_catches_cycles_private_names_and_layer_breaks(tmp_path: Path) -> None:
    """The checks above can fail: a small package with each fault is caught."""
    package = tmp_path / "briefreader"
    (package / "search" / "index").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "search/__init__.py": "",
        "search/library.py": "from briefreader.search.index.indexer import _catalog\n",
        "search/index/__init__.py": "",
        "search/index/indexer.py": (
            "def run():\n    from briefreader.search import library\n    return library._x\n"
        ),
    }
    for relative, text in files.items():
        (package / relative).write_text(text)
    graph, private = import_graph(package)
    assert import_cycles(graph) == [
        ["briefreader.search.index.indexer", "briefreader.search.library"]
    ]
    assert private == [
        "briefreader.search.library: from briefreader.search.index.indexer import _catalog",
        "briefreader.search.index.indexer: library._x",
    ]
    assert layer_violations(graph) == [
        "briefreader.search.index.indexer -> briefreader.search.library"
    ]
