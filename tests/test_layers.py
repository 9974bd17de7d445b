"""The import rules of docs/architecture.md, read from the source of portal/ (and jobs/queues.py).

- plumbing (mail, audit, dates, htmx, extensions, models, presentation) imports no feature;
- auth holds identity only: it never imports members (or any other feature);
- no two packages import each other, at any depth (a cycle means a piece is in the wrong place).

A node is a package of portal/ (portal/members/… is "members"; a module directly in portal/ is its
own node, e.g. "dates"), or a module of jobs/ ("jobs.queues"). portal/__init__.py (the app factory)
wires everything together and is left out.
"""

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEATURES = {"members", "rewards", "purchases", "care", "admin", "api", "events", "tickets", "surveys"}
PLUMBING = {"mail", "audit", "dates", "htmx", "extensions", "models", "presentation", "sqlite", "security", "uploads",
            "csv_export", "jobs.queues"}


def node_of(module):
    """The graph node of a dotted module name, or None for a module outside the graph."""
    parts = module.split(".")
    if parts[0] == "portal" and len(parts) > 1:
        return parts[1]
    if parts[0] == "jobs" and len(parts) > 1:
        return ".".join(parts[:2])
    return None


def module_of(path):
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _executed(tree):
    """Every node of `tree` except those under `if TYPE_CHECKING:` (imports for type hints only)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
                continue
            todo.append(child)


def imports_of(path):
    """The dotted modules `path` imports (anywhere in the file, also inside functions)."""
    module = module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in _executed(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from portal import dates`
    return found


def graph():
    """{node: {node it imports: [files that do]}}."""
    edges = defaultdict(lambda: defaultdict(list))
    files = [p for p in (ROOT / "portal").rglob("*.py") if p != ROOT / "portal" / "__init__.py"]
    files.append(ROOT / "jobs" / "queues.py")
    for path in files:
        source = node_of(module_of(path))
        for imported in imports_of(path):
            target = node_of(imported)
            if target is not None and target != source and (target in PLUMBING | FEATURES | {"auth"}
                                                            or (ROOT / "portal" / target).exists()
                                                            or (ROOT / "portal" / f"{target}.py").exists()):
                edges[source][target].append(str(path.relative_to(ROOT)))
    return edges


def test_the_graph_sees_the_imports_it_should():
    edges = graph()
    assert "members" in edges["rewards"] and "mail" in edges["care"]  # the reader is not blind


def test_plumbing_imports_no_feature():
    edges = graph()
    wrong = {(source, target): files for source in PLUMBING for target, files in edges[source].items()
             if target in FEATURES or target == "auth"}
    assert not wrong, wrong


def test_mail_imports_no_feature_package():
    edges = graph()
    assert not set(edges["mail"]) & (FEATURES | {"auth"}), dict(edges["mail"])


def test_auth_imports_no_feature_and_never_members():
    edges = graph()
    assert "members" not in edges["auth"], edges["auth"]["members"]
    assert not set(edges["auth"]) & FEATURES, dict(edges["auth"])


def test_no_two_packages_import_each_other_at_any_distance():
    edges = graph()
    nodes = set(edges) | {target for targets in edges.values() for target in targets}

    def reachable(start):
        seen, todo = set(), [start]
        while todo:
            for target in edges[todo.pop()]:
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen

    cycles = sorted({tuple(sorted((a, b))) for a in nodes for b in edges[a] if a in reachable(b)})
    details = {cycle: {"→".join(cycle): edges[cycle[0]].get(cycle[1]), "←": edges[cycle[1]].get(cycle[0])}
               for cycle in cycles}
    assert not cycles, details


def test_no_test_module_imports_another_or_a_conftest():
    """Shared helpers live in tests/helpers.py; a test module or conftest imported elsewhere hides fixtures."""
    wrong = []
    for path in (ROOT / "tests").rglob("*.py"):
        for imported in imports_of(path):
            if imported.startswith(("tests.helpers.", "tests.factories.", "tests.services.")):
                continue  # a name from a helper module (`from tests.helpers import test_settings`)
            parts = imported.split(".")[1:] if imported.startswith("tests.") else []
            if any(part.startswith("test_") or part == "conftest" for part in parts):
                wrong.append((str(path.relative_to(ROOT)), imported))
    assert not wrong, wrong


def test_e2e_journeys_find_things_by_role_label_or_text_never_by_css_paths():
    """page.locator("…") with a CSS path breaks with the markup; role, label and text locators do not."""
    css = re.compile(r"""\.locator\(\s*["'](?!html["'])[^"']*[.#\[>:][^"']*["']""")
    wrong = [f"{path.relative_to(ROOT)}:{number}"
             for path in (ROOT / "tests").rglob("*.py")
             for number, line in enumerate(path.read_text().splitlines(), start=1) if css.search(line)]
    assert not wrong, wrong


def test_nothing_imports_a_view():
    """Views (views.py, admin.py) are imported only by the app factory: a view that another module
    needs is a piece in the wrong place (the member page is built in members/staff_page.py)."""
    wrong = []
    for path in (ROOT / "portal").rglob("*.py"):
        if path == ROOT / "portal" / "__init__.py":
            continue
        for imported in imports_of(path):
            parts = imported.split(".")
            is_view = parts[0] == "portal" and parts[2:3] in (["views"], ["admin"])
            if is_view and module_of(path) != ".".join(parts[:3]):
                wrong.append((str(path.relative_to(ROOT)), imported))
    assert not wrong, wrong
