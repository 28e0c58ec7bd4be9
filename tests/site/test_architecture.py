"""The house rules a newcomer relies on, checked on the source (no app needed):
no import cycles in market/, views that never commit, settings declared once, one clock."""

import ast
import re
from pathlib import Path

from config.settings import Config

ROOT = Path(__file__).resolve().parents[2]
MARKET = ROOT / "market"
VIEW_MODULES = ("views", "staff_views", "admin_views")
MAX_MODULE_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in MARKET.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of market/ that `name` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules else node.module)
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_of_market_has_no_cycles():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_domain_imports_another_domains_views():
    for name, imported in import_graph().items():
        if name == "market":  # create_app registers every blueprint
            continue
        domain = name.split(".")[1] if name.count(".") >= 2 else None
        for module in imported:
            parts = module.split(".")
            if parts[-1] in VIEW_MODULES and len(parts) == 3:
                assert parts[1] == domain, f"{name} imports {module}"


def test_views_never_commit_or_roll_back():
    for name, path in _modules().items():
        if name.rsplit(".", 1)[-1] in VIEW_MODULES:
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"\.(commit|rollback)\(\)", text), f"{name} commits or rolls back"


def test_a_module_over_400_lines_says_why_in_its_docstring():
    unexplained = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if len(text.splitlines()) > MAX_MODULE_LINES and "Long because:" not in docstring:
            unexplained.append(name)
    assert unexplained == []


def test_every_setting_read_is_declared_in_config():
    read = set()
    for path in _modules().values():
        read |= set(re.findall(r'config(?:\.get\(|\[)"([A-Z][A-Z0-9_]*)"', path.read_text(encoding="utf-8")))
    assert read, "the scan found no settings at all"
    assert sorted(key for key in read if not hasattr(Config, key)) == []


def test_the_home_time_zone_is_written_in_one_place():
    from market import clock

    assert Config.BABEL_DEFAULT_TIMEZONE == clock.HOME_TIMEZONE
    writers = sorted(name for name, path in _modules().items()
                     if '"Asia/Shanghai"' in path.read_text(encoding="utf-8"))
    assert writers == ["market.clock"]
