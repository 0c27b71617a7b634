"""The modules of gantool/ import each other without a cycle (lazy imports inside functions count too;
imports for type hints only do not)."""

import ast
from pathlib import Path

import gantool

PACKAGE = Path(gantool.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_nodes(tree: ast.AST):
    """Every node of a module except those under `if TYPE_CHECKING:` (type hints only, never imported)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            yield from (child for other in node.orelse for child in ast.walk(other))
            continue
        yield node
        yield from runtime_nodes(node)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The gantool modules a file imports when it runs, lazy imports inside functions included (a `from
    package import module` counts the module)."""
    found = set()
    for node in runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(files)
    graph = {name: imports_of(path, modules) - {name} for name, path in files.items()}
    for name in graph:  # importing a package's module runs the package's __init__, not the other way round
        graph[name] = {target for target in graph[name] if not name.startswith(target + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_graph_finds_the_imports():
    graph = import_graph()
    assert "gantool.errors" in graph["gantool.registry"]
    assert "gantool.cli" in graph and "gantool.evaluation.frechet" in graph


def test_gantool_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_checkpoint_code_does_not_need_the_trainer():
    # Not even for type hints: it reads the loop through its own protocol, so a second loop could use it.
    tree = ast.parse((PACKAGE / "training" / "checkpoint_state.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "gantool.training.trainer" not in imported
