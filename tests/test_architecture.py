"""The architecture, enforced: layer contracts (import-linter), project imports at the top of
files, a torch-free light core, and modules small enough to read.

Each check is also shown to fail when the rule is broken, on a copy of the tree.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("inference", "app", "widgets")
PROJECT = ("inference", "app", "widgets", "resources")
MAX_LINES = 500

#: Function-level imports of project modules that are there on purpose: (file, module) -> why.
ALLOWED_LAZY = {
    # The CLI reads each command's constants from its source instead of importing it. The review
    # window imports torch (~500 MB resident) only when it first runs a model (issue 18's RSS):
    ("app/analysis_worker.py", "inference.detector.checkpoint"): "the run loader builds torch modules",
    ("app/analysis_worker.py", "inference.analysis.engine"): "the engine runs the detector",
    # Headless monitoring runs on a server without Qt's system libraries; only the window needs them.
    ("app/commands/monitor.py", "app"): "the live window, only when there is one",
}


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(cmd + ["--no-cache"], cwd=cwd, env=env, capture_output=True, text=True)


def _copy_tree(dst: Path) -> Path:
    for pkg in PACKAGES + ("resources",):
        shutil.copytree(ROOT / pkg, dst / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dst / "pyproject.toml")
    return dst


def _function_level_project_imports(root: Path) -> list[tuple[str, int, str]]:
    """``(file, line, module)`` of every import of a project module inside a function or class
    body, other than under ``if TYPE_CHECKING:``."""
    found = []
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            tree = ast.parse(path.read_text("utf-8"))
            type_checking = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                    type_checking.update(id(n) for n in ast.walk(node))
            for node in ast.walk(tree):
                if not isinstance(node, (ast.Import, ast.ImportFrom)) or node.col_offset == 0 \
                        or id(node) in type_checking:
                    continue
                if isinstance(node, ast.ImportFrom):
                    mods = ["." * node.level + (node.module or "")]
                elif isinstance(node, ast.Import):
                    mods = [a.name for a in node.names]
                else:
                    continue
                for mod in mods:
                    if mod.startswith(".") or mod.split(".")[0] in PROJECT:
                        if (rel, mod) not in ALLOWED_LAZY:
                            found.append((rel, node.lineno, mod))
    return found


def test_import_contracts_are_kept():
    res = _lint_imports(ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "3 kept, 0 broken" in res.stdout, res.stdout


@pytest.mark.parametrize("file, line, contract", [
    ("inference/core/errors.py", "import PySide6", "inference is headless"),
    ("inference/video/index.py", "import app.cli", "inference is headless"),
    ("widgets/colors.py", "import torch", "widgets draw plain data"),
    ("inference/video/index.py", "from inference.training import metrics", "inference layers"),
    ("inference/training/metrics.py", "from inference.analysis import settings", "inference layers"),
    ("inference/core/cache.py", "from inference.pose import joints", "inference layers"),
])
def test_each_contract_breaks_on_a_forbidden_import(tmp_path, file, line, contract):
    tree = _copy_tree(tmp_path)
    target = tree / file
    text = target.read_text("utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    target.write_text(head + sep + line + "  # noqa\n" + rest if sep else line + "\n" + text, "utf-8")
    res = _lint_imports(tree)
    assert res.returncode != 0, res.stdout
    broken = [ln for ln in res.stdout.splitlines() if ln.endswith("BROKEN")]
    assert any(contract in ln for ln in broken), res.stdout


def test_project_imports_sit_at_the_top_of_files():
    assert _function_level_project_imports(ROOT) == []


def test_a_function_level_project_import_is_caught(tmp_path):
    tree = _copy_tree(tmp_path)
    target = tree / "inference/video/index.py"
    target.write_text(target.read_text("utf-8") + "\n\ndef _late():\n    from inference.core import cache\n"
                      "    return cache\n", "utf-8")
    assert [(f, m) for f, _, m in _function_level_project_imports(tree)] == [
        ("inference/video/index.py", "inference.core")]


def test_light_packages_import_no_torch():
    """Reading videos, EEG, keypoints and result files must not pay for torch (nor Qt)."""
    light = [f"inference.{p}.{m.stem}" for p in ("core", "video", "eeg", "pose", "results", "dataset")
             for m in sorted((ROOT / "inference" / p).glob("*.py")) if m.stem != "__init__"]
    code = ("import sys, importlib\n"
            "import inference.video, inference.pose, inference.results\n"
            f"for m in {light!r}:\n    importlib.import_module(m)\n"
            "print('HEAVY', [m for m in ('torch', 'transformers', 'PySide6') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_review_window_opens_without_torch():
    """Torch (~500 MB resident) comes with the first model run, not with the window: a recording
    that already has its result, EEG and forecast trace is reviewed without it (issue 18's RSS)."""
    code = ("import sys\nimport app.main_window, app.review_state, inference.forecast.staleness\n"
            "print('HEAVY', [m for m in ('torch', 'transformers') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr


def test_every_inference_module_lives_in_a_layer():
    loose = [p.name for p in (ROOT / "inference").glob("*.py") if p.name != "__init__.py"]
    assert loose == [], f"put these in a layer subpackage (README 'Architecture'): {loose}"


def test_modules_stay_readable():
    big = {}
    for pkg in ("inference", "app"):
        for path in (ROOT / pkg).rglob("*.py"):
            n = len(path.read_text("utf-8").splitlines())
            if n > MAX_LINES:
                big[path.relative_to(ROOT).as_posix()] = n
    assert big == {}, f"split these modules (over {MAX_LINES} lines): {big}"
