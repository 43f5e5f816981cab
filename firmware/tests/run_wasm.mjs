// Runs the firmware tests under real MicroPython (the WebAssembly port) in node.
//   node run_wasm.mjs <path to micropython.mjs> <firmware dir>
// Copies firmware/gateio and firmware/tests/*.py onto MicroPython's filesystem, calls every
// test_* function of every test_*.py, prints PASS/FAIL lines and "N passed, M failed".
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modulePath, firmwareDir] = process.argv.slice(2);
if (!modulePath || !firmwareDir) {
  console.error("usage: node run_wasm.mjs <micropython.mjs> <firmware dir>");
  process.exit(2);
}
const { loadMicroPython } = await import(pathToFileURL(modulePath).href);
const mp = await loadMicroPython({
  heapsize: 8 * 1024 * 1024,
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});

function copyPy(fromDir, toDir) {
  mp.FS.mkdirTree(toDir);
  for (const name of readdirSync(fromDir)) {
    if (name.endsWith(".py")) {
      mp.FS.writeFile(toDir + "/" + name, readFileSync(join(fromDir, name)));
    }
  }
}
copyPy(join(firmwareDir, "gateio"), "/fw/gateio");
copyPy(join(firmwareDir, "tests"), "/fw/tests");
const modules = readdirSync(join(firmwareDir, "tests"))
  .filter((n) => n.startsWith("test_") && n.endsWith(".py"))
  .map((n) => n.slice(0, -3))
  .sort();

mp.runPython(`
import sys, os
sys.path.insert(0, "/fw/tests")
sys.path.insert(0, "/fw")
os.chdir("/tmp")
print("micropython", sys.implementation.version, sys.platform)
import gateio.cipher
print("AES backend:", gateio.cipher.BACKEND)
_passed = 0
_failed = 0
for _name in ${JSON.stringify(modules)}:
    try:
        _mod = __import__(_name)
    except Exception as e:
        _failed += 1
        print("FAIL %s (import): %s: %s" % (_name, type(e).__name__, e))
        sys.print_exception(e)
        continue
    for _attr in sorted(dir(_mod)):
        _fn = getattr(_mod, _attr)
        if _attr.startswith("test_") and callable(_fn):
            try:
                _fn()
                _passed += 1
                print("PASS %s.%s" % (_name, _attr))
            except Exception as e:
                _failed += 1
                print("FAIL %s.%s: %s: %s" % (_name, _attr, type(e).__name__, e))
                sys.print_exception(e)
print("%d passed, %d failed" % (_passed, _failed))
_result = _failed
`);
const failed = mp.globals.get("_result");
const passed = mp.globals.get("_passed");
process.exit(failed === 0 && passed > 0 ? 0 : 1);
