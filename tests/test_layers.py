"""The architecture as a rule: lower layers never import higher ones, the engine is pure, and no
product app imports the sandbox. The rules live in pyproject.toml ([tool.importlinter]); `make lint`
runs them too."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "reconciliation" / "engine"
# What the engine may import besides the standard library: the Django-free money module.
ENGINE_MAY_IMPORT = {"ledger.money"}
PRODUCT_APPS = {"companies", "ledger", "connections", "reconciliation", "dashboard", "sandbox", "config"}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module)
    return found


def _outside_stdlib(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] not in sys.stdlib_module_names}


def test_it_keeps_the_layers_and_the_sandbox_out_of_the_product():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Product layers KEPT" in result.stdout
    assert "No product app imports the sandbox KEPT" in result.stdout


def test_it_keeps_the_engine_free_of_django_and_of_the_apps():
    engine_imports = set().union(*(_imports(p) for p in ENGINE.glob("*.py")))
    assert _outside_stdlib(engine_imports) <= ENGINE_MAY_IMPORT
    for allowed in ENGINE_MAY_IMPORT:
        module = ROOT.joinpath(*allowed.split(".")).with_suffix(".py")
        assert not _outside_stdlib(_imports(module)), f"{allowed} must stay Django-free"


def test_the_engine_check_sees_a_django_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from django.db import models\nfrom ledger.models import Payout\nimport decimal\n")
    assert _outside_stdlib(_imports(bad)) - ENGINE_MAY_IMPORT == {"django.db", "ledger.models"}


def test_the_layer_contract_names_every_app():
    text = (ROOT / "pyproject.toml").read_text()
    for app in PRODUCT_APPS - {"config", "sandbox"}:
        assert f'"{app}"' in text.split("[[tool.importlinter.contracts]]")[1]
