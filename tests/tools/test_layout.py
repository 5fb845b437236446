"""The product does not depend on tools/, and no file of the project edits sys.path: everything imports by
package and runs as a module (``python -m scripts.run``, ``python -m tools.bench_petitions`` …)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("api", "actions", "bot", "common", "knowledge", "scripts")


def python_files(*folders):
    for folder in folders:
        yield from (p for p in (ROOT / folder).rglob("*.py") if "node_modules" not in p.parts)


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_no_product_module_imports_the_tools():
    offenders = [f"{p.relative_to(ROOT)}: {m}" for p in python_files(*PRODUCT) for m in imported_modules(p)
                 if m == "tools" or m.startswith("tools.")]
    assert offenders == []


def test_no_file_edits_sys_path():
    offenders = []
    for path in python_files(*PRODUCT, "tools", "tests"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "path"
                    and isinstance(node.func.value.value, ast.Name) and node.func.value.value.id == "sys"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_makefile_runs_scripts_and_tools_as_modules():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "scripts/bench" not in makefile and "$(PY) scripts/" not in makefile and "$(PY) tools/" not in makefile
    assert "$(PY) -m tools.bench_petitions" in makefile and "$(PY) -m scripts.run" in makefile
