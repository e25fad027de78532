"""The layers of `beads` and `gt`: no import goes up a layer or round a cycle.

The import graph is read from the source with `ast`, imports inside functions included: a
late import still ties two modules together. Each module gets its layer from LAYERS (bottom
to top); a module may import its own layer or those below it, never one above, and no set
of modules may import each other in a circle. An import under `if TYPE_CHECKING:` may not go
up either, but it runs nothing, so it closes no cycle: it is how a helper module names the
type of the object that calls it (`beads.wisps` and the `Ledger` it serves).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. A name matches that module; `name.*` matches the package and everything in
# it. The longest match names a module's layer; a module that matches none is an error.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("beads", ("beads.*",)),
    ("bd", ("beads.cli.*", "beads.__main__")),
    ("foundations", ("gt", "gt.errors", "gt.git", "gt.gitlocks", "gt.tomlfile", "gt.settings",
                     "gt.agents", "gt.sessions.*", "gt.runtimes.*")),
    ("model", ("gt.town", "gt.rig", "gt.whoami", "gt.roster")),
    ("services", ("gt.launch", "gt.sharing", "gt.work.*", "gt.reactor.*", "gt.refinery.*",
                  "gt.supervision.*", "gt.control.*", "gt.seance", "gt.townview.*")),
    ("set-up", ("gt.setup.*", "gt.githooks", "gt.doctor.*")),
    ("demo", ("gt.demo.*",)),
    ("dashboard", ("gt.dashboard.*",)),
    ("gt", ("gt.cli.*", "gt.__main__")),
]

# Late imports known to close a cycle, each with why it is still there. The test fails when
# one no longer closes a cycle, so the list only shrinks.
KNOWN_CYCLES: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    module: str
    line: int
    target: str
    type_only: bool = False


def module_names(package_dir: Path) -> dict[str, Path]:
    """Every module of the package at `package_dir`, by dotted name."""
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _import_nodes(tree: ast.AST, type_only: bool = False) -> list[tuple[ast.AST, bool]]:
    """Every node under `tree`, each with whether it sits under `if TYPE_CHECKING:`."""
    nodes = []
    for child in ast.iter_child_nodes(tree):
        guarded = isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test)
        nodes.append((child, type_only))
        if guarded:
            assert isinstance(child, ast.If)
            for inner in child.body:
                nodes += [(inner, True), *_import_nodes(inner, True)]
            for inner in child.orelse:
                nodes += [(inner, type_only), *_import_nodes(inner, type_only)]
        else:
            nodes += _import_nodes(child, type_only)
    return nodes


def imports(modules: dict[str, Path]) -> list[Import]:
    """Every import of one of `modules` by another, wherever it is written."""
    found = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node, type_only in _import_nodes(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from pkg import mod` imports the module pkg.mod; `from mod import name`, mod.
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules
                           else base for alias in node.names]
            found += [Import(name, node.lineno, target, type_only)
                      for target in dict.fromkeys(targets) if target in modules and target != name]
    return found


def layer_of(module: str, layers: list[tuple[str, tuple[str, ...]]]) -> int | None:
    """The index in `layers` of the module's layer (longest match), or None."""
    best: tuple[int, int] | None = None
    for index, (_name, patterns) in enumerate(layers):
        for pattern in patterns:
            package = pattern.removesuffix(".*")
            matches = module == package or (pattern.endswith(".*")
                                            and module.startswith(package + "."))
            if matches and (best is None or len(package) > best[0]):
                best = (len(package), index)
    return None if best is None else best[1]


def cycle_through(start: str, edges: dict[str, dict[str, Import]]) -> list[Import] | None:
    """A shortest chain of imports from `start` back to itself, if there is one."""
    paths: dict[str, list[Import]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for module in frontier:
            for target, edge in sorted(edges.get(module, {}).items()):
                if target == start:
                    return [*paths[module], edge]
                if target not in paths:
                    paths[target] = [*paths[module], edge]
                    following.append(target)
        frontier = following
    return None


def reaches(start: str, goal: str, edges: dict[str, dict[str, Import]]) -> bool:
    """Whether a chain of imports leads from `start` to `goal`."""
    seen, frontier = {start}, [start]
    while frontier:
        module = frontier.pop()
        if module == goal:
            return True
        following = set(edges.get(module, {})) - seen
        seen |= following
        frontier += sorted(following)
    return False


def check(package_dirs: list[Path], layers: list[tuple[str, tuple[str, ...]]],
          known_cycles: dict[tuple[str, str], str] | None = None) -> list[str]:
    """What breaks the layering of the packages: one line per problem. The imports in
    `known_cycles` close no cycle, but each must still close one."""
    known = known_cycles or {}
    skipped: set[tuple[str, str]] = set()
    modules: dict[str, Path] = {}
    for package_dir in package_dirs:
        modules.update(module_names(package_dir))
    problems = [f"{name}: no layer (add it to LAYERS)" for name in modules
                if layer_of(name, layers) is None]
    edges: dict[str, dict[str, Import]] = {}
    for edge in imports(modules):
        if edge.type_only:
            continue
        if (edge.module, edge.target) in known:
            skipped.add((edge.module, edge.target))
        else:
            edges.setdefault(edge.module, {}).setdefault(edge.target, edge)
        source, target = layer_of(edge.module, layers), layer_of(edge.target, layers)
        if source is not None and target is not None and target > source:
            problems.append(f"{modules[edge.module].relative_to(package_dirs[0].parent)}:"
                            f"{edge.line}: {edge.module} ({layers[source][0]}) imports "
                            f"{edge.target} ({layers[target][0]}), a layer above it")
    reported: set[frozenset[str]] = set()
    for module in sorted(edges):
        chain = cycle_through(module, edges)
        if chain is None or frozenset(e.module for e in chain) in reported:
            continue
        reported.add(frozenset(e.module for e in chain))
        steps = " -> ".join(f"{e.target} (line {e.line} of {e.module})" for e in chain)
        problems.append(f"import cycle: {module} -> {steps}")
    for module, target in known:
        if (module, target) not in skipped or not reaches(target, module, edges):
            problems.append(f"{module} -> {target} closes no cycle any more: take it out of "
                            "the known cycles")
    return problems


def test_no_import_goes_up_a_layer_or_round_a_cycle() -> None:
    problems = check([ROOT / "beads", ROOT / "gt"], LAYERS, KNOWN_CYCLES)
    assert not problems, "\n".join(problems)


def test_beads_never_imports_gt() -> None:
    modules = {**module_names(ROOT / "beads"), **module_names(ROOT / "gt")}
    into_gt = [f"{e.module} line {e.line}: {e.target}" for e in imports(modules)
               if e.module.split(".")[0] == "beads" and e.target.split(".")[0] == "gt"]
    assert not into_gt, into_gt


def test_the_check_names_an_upward_import_a_cycle_and_a_module_without_a_layer(
        tmp_path: Path) -> None:
    package = tmp_path / "town"
    (package / "inner").mkdir(parents=True)
    sources = {
        "__init__.py": "",
        "low.py": "import os\n\n\ndef late():\n    from town import high\n    return high\n",
        "high.py": "from town.low import late\n",
        "inner/__init__.py": "",
        "inner/one.py": "from . import two\n",
        "inner/two.py": "def later():\n    from town.inner import one\n    return one\n",
        "stray.py": "",
    }
    for name, text in sources.items():
        (package / name).write_text(text)
    layers = [("bottom", ("town", "town.low", "town.inner.*")), ("top", ("town.high",))]
    problems = check([package], layers, {("town.stray", "town.low"): "a stale exception"})
    assert "town/low.py:5: town.low (bottom) imports town.high (top), a layer above it" \
        in problems
    cycles = [p for p in problems if p.startswith("import cycle")]
    assert cycles == [
        "import cycle: town.high -> town.low (line 1 of town.high) -> "
        "town.high (line 5 of town.low)",
        "import cycle: town.inner.one -> town.inner.two (line 1 of town.inner.one) -> "
        "town.inner.one (line 2 of town.inner.two)"]
    assert "town.stray: no layer (add it to LAYERS)" in problems
    assert "town.stray -> town.low closes no cycle any more: take it out of the known " \
           "cycles" in problems
    assert len(problems) == 5


def test_the_module_map_names_every_module_with_its_layer() -> None:
    """docs/architecture.md's module map: a row per module, in the layer LAYERS gives it."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("### Module map", 1)[1].split("\n### ", 1)[0]
    rows = dict(re.findall(r"^\| `((?:beads|gt)/[^`]+\.py)` \| ([a-z-]+) \|", section, re.M))
    modules = {str(path.relative_to(ROOT)): name for package in ("beads", "gt")
               for name, path in module_names(ROOT / package).items()}
    assert sorted(set(modules) - set(rows)) == [], "modules missing from the map"
    assert sorted(set(rows) - set(modules)) == [], "the map names modules that do not exist"
    expected = {path: "none" if (layer := layer_of(name, LAYERS)) is None else LAYERS[layer][0]
                for path, name in modules.items()}
    wrong = {path: (rows[path], expected[path]) for path in modules
             if rows[path] != expected[path]}
    assert wrong == {}, "(the map's layer, the test's layer)"
