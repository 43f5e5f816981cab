"""A small filesystem of a gate's own, for a `disk_full` fault: the gate's log fills a real disk.

A tmpfs is mounted on the gate's folder before the gate starts; fill() writes a file until
the filesystem refuses more (ENOSPC, as an SD card that is full), free() deletes it. Mounting
needs root, as `make test` has here; elsewhere the scenario is refused with that reason.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from qrgate.errors import ConfigError

FILLER = "filler"


class SmallDisk:
    def __init__(self, path: Path, megabytes: int = 32):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(self.path)],
                              capture_output=True, text=True)
        if done.returncode:
            raise ConfigError(f"a disk_full fault mounts a small filesystem for the gate's log, which needs root: "
                              f"{done.stderr.strip() or 'mount failed'}")

    def fill(self) -> int:
        """Fill the filesystem to the last byte; returns the bytes written."""
        written = 0
        with open(self.path / FILLER, "ab", buffering=0) as fh:
            for size in (1 << 20, 65536, 4096, 512, 1):
                block = b"\0" * size
                try:
                    while True:
                        written += fh.write(block)
                except OSError:  # ENOSPC: this size no longer fits
                    pass
        return written

    def free(self) -> None:
        (self.path / FILLER).unlink(missing_ok=True)

    def close(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True)  # lazily: the log may still be open
