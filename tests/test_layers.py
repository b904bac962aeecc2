"""The layering CONTRIBUTING.md draws, checked on the imports (lazy ones included).

Each module may import only from lower layers or from its own wing; nothing below ``cli``
imports click or Chutes by name; only ``cli`` picks a provider.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "genesis_cli"

# wing -> layer; a wing is a sub-package or a top-level module.
LAYERS = {
    "__main__": 7,
    "cli": 6,
    "flows": 5,
    "oauth": 4,
    "catalog": 4,
    "config": 4,
    "store": 4,
    "providers": 3,
    "http": 2,
    "fsutil": 2,
    "paths": 1,
    "urls": 1,
    "coerce": 1,
    "tee": 1,
    "errors": 0,
    "records": 0,
    "warning_log": 0,
    "text": 0,
    "__init__": 0,
}


def wing_of(module: str) -> str:
    """``genesis_cli.oauth.protocol`` -> ``oauth``; ``genesis_cli`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports() -> list[tuple[str, str]]:
    """(importing module, imported module) for every import in the package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found += [(module, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.append((module, node.module))
                # ``from genesis_cli import http`` names the module ``genesis_cli.http``.
                found += [(module, f"{node.module}.{a.name}") for a in node.names]
    return found


def test_every_module_belongs_to_a_known_wing() -> None:
    wings = {wing_of(importer) for importer, _ in imports()}
    assert wings <= set(LAYERS), wings - set(LAYERS)


def test_imports_point_down_or_stay_in_the_wing() -> None:
    upward = []
    for importer, imported in imports():
        if not imported.startswith("genesis_cli.") or wing_of(imported) not in LAYERS:
            continue
        mine, theirs = wing_of(importer), wing_of(imported)
        if mine != theirs and LAYERS[theirs] >= LAYERS[mine]:
            upward.append(f"{importer} -> {imported}")
    assert upward == []


def test_nothing_below_cli_imports_click() -> None:
    offenders = [
        importer
        for importer, imported in imports()
        if imported.split(".")[0] == "click" and wing_of(importer) != "cli"
    ]
    assert offenders == []


def test_only_the_providers_wing_names_chutes() -> None:
    offenders = [
        f"{importer} -> {imported}"
        for importer, imported in imports()
        if imported.startswith("genesis_cli.providers.chutes") and wing_of(importer) != "providers"
    ]
    assert offenders == []


def test_only_the_providers_wing_names_chutes_endpoints_and_fields() -> None:
    """Chutes' app and account endpoints and its row fields are data of the Chutes provider."""
    chutes_only = ("/idp/", "/users/me", "chute_id", "supported_features", "input_modalities")
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "providers":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and "\n" not in text and any(w in text for w in chutes_only):
                offenders.append(f"{path.name}: {text!r}")
    assert offenders == []


def test_no_import_cycle_between_modules() -> None:
    """Lazy imports included (only ``TYPE_CHECKING`` ones are left out): an import inside a
    function is for start-up, never to hide a cycle."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text())
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            graph.setdefault(module, set()).update(
                n for n in names if n.startswith("genesis_cli.") and n != module
            )
    modules = set(graph)
    edges = {m: {n for n in targets if n in modules} for m, targets in graph.items()}
    cycles = []
    for start in sorted(modules):
        seen, stack = {start}, [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in sorted(edges[node]):
                if nxt == start:
                    cycles.append(" -> ".join([*trail, start]))
                elif nxt not in seen and nxt > start:  # each cycle once, from its least module
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    assert cycles == []


# A comment that only steers a tool says nothing about why the import is where it is.
_PRAGMA = re.compile(r"\s*(type:|noqa|fmt:|pragma:)")


def test_every_import_inside_a_function_says_why() -> None:
    """An import inside a function is for start-up (as the cycle test says): each says why, in
    a comment on its line or on the line above; consecutive imports may share the first one's.
    ``TYPE_CHECKING`` imports are left out, as in the cycle test."""
    silent = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        lines = source.splitlines()
        commented = {  # the lines holding a comment that is more than a pragma
            token.start[0]
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT
            and any(part.strip() and not _PRAGMA.match(part) for part in token.string.split("#"))
        }
        tree = ast.parse(source)
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        inside = {
            node.lineno: node
            for function in ast.walk(tree)
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
            for node in ast.walk(function)
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in typing_only
        }
        block_ends = {node.end_lineno for node in inside.values()}
        for line, node in sorted(inside.items()):
            if line - 1 in block_ends:
                continue  # not the first import of its block: the first one's comment covers it
            end = node.end_lineno or line
            on_its_lines = any(row in commented for row in range(line, end + 1))
            above = line - 1 in commented and lines[line - 2].lstrip().startswith("#")
            if not (on_its_lines or above):
                silent.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line}: {lines[line - 1].strip()}"
                )
    assert silent == []
