"""Who may import whom (docs/architecture.md), checked on the source tree with the AST."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (importer prefix, forbidden prefix, why)
RULES: tuple[tuple[str, str, str], ...] = (
    ("ironworks.common", "ironworks.db", "common/ is shared by both daemons"),
    ("ironworks.common", "ironworks.region", "common/ is shared by both daemons"),
    ("ironworks.common", "ironworks.rack", "common/ is shared by both daemons"),
    ("ironworks.common", "ironworks.lab", "common/ is shared by both daemons"),
    ("ironworks.db", "ironworks.region", "the database layer knows no daemon"),
    ("ironworks.db", "ironworks.rack", "the database layer knows no daemon"),
    ("ironworks.rack", "ironworks.db", "a rack talks only to regions, never to the database"),
    ("ironworks.rack", "ironworks.region", "a rack talks only to regions"),
    ("ironworks.region.services", "ironworks.region.api", "services hold rules; HTTP is the API's edge"),
    ("ironworks.region.services", "ironworks.cli", "services hold rules; commands call them"),
    ("ironworks.region", "ironworks.lab", "the lab drives daemons; daemons never need it"),
    ("ironworks.rack", "ironworks.lab", "the lab drives daemons; daemons never need it"),
    ("ironworks", "tests", "nothing imports tests/"),
    ("bench", "tests", "nothing imports tests/"),
)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> list[tuple[int, str]]:
    """Every module `path` imports, absolute, with the line it is imported on."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(root: Path) -> list[str]:
    problems: dict[tuple[str, int, str], str] = {}  # one report per line and rule
    for top in ("ironworks", "bench"):
        for path in sorted((root / top).rglob("*.py")):
            module = module_name(path, root)
            where = str(path.relative_to(root))
            for line, imported in imports_of(path, module):
                for importer, forbidden, why in RULES:
                    if _under(module, importer) and _under(imported, forbidden):
                        problems.setdefault((where, line, forbidden), f"{where}:{line} imports {imported} ({why})")
    return sorted(problems.values())


def test_the_tree_keeps_the_import_rules() -> None:
    assert violations(ROOT) == []


def test_the_checker_catches_a_service_importing_the_api_and_a_rack_reaching_the_database(tmp_path: Path) -> None:
    files = {
        "ironworks/region/services/networking/vlans.py": "from ironworks.region.api.errors import BadRequest\n",
        "ironworks/region/services/nodes/__init__.py": "from ...api import render\n",
        "ironworks/rack/channel.py": "import ironworks.db.tables\n",
        "ironworks/region/api/dispatch.py": "from ironworks.region.services.nodes import query\n",  # allowed
        "bench/x.py": "from tests.harness import Region\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = violations(tmp_path)
    assert any(v.startswith("ironworks/region/services/networking/vlans.py:1 imports ironworks.region.api.errors")
               for v in found)
    assert any(v.startswith("ironworks/region/services/nodes/__init__.py:1 imports ironworks.region.api")
               for v in found)
    assert any(v.startswith("ironworks/rack/channel.py:1 imports ironworks.db.tables") for v in found)
    assert any(v.startswith("bench/x.py:1 imports tests.harness") for v in found)
    assert not any("dispatch.py" in v for v in found)
