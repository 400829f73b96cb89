"""A private CUPS server for tests: `cupsd` in the foreground on a free port, its own
configuration, spool and a `capture` backend that keeps each job's bytes in a file.

Needs the Debian packages cups-daemon and cups-client (`apt-get install cups-daemon
cups-client`); without them the tests that need it are skipped (the `lp` stand-ins in the
unit tests and `test_operations.py` still cover the adapter).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from shared.infra import free_port

CAPTURE_BACKEND = """#!/bin/sh
# CUPS backend: with no arguments describe the device, else copy the job to <path>.<job id>
if [ $# -eq 0 ]; then echo 'direct capture "Unknown" "Capture to file"'; exit 0; fi
out="${DEVICE_URI#capture:}"
if [ $# -ge 6 ]; then cat "$6" > "$out.$1"; else cat > "$out.$1"; fi
"""


def available() -> bool:
    return all(shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists() for tool in ("cupsd", "lpadmin", "lp"))


@dataclass
class CupsServer:
    root: Path
    server: str
    process: subprocess.Popen

    @property
    def output(self) -> Path:
        return self.root / "out"

    def admin(self, *args: str) -> None:
        subprocess.run([_tool("lpadmin"), "-h", self.server, *args], check=True, capture_output=True, timeout=20)

    def add_printer(self, name: str) -> None:
        self.admin("-p", name, "-E", "-v", f"capture:{self.output / name}", "-m", "raw")

    def accept(self, name: str, accepting: bool) -> None:
        subprocess.run([_tool("cupsaccept" if accepting else "cupsreject"), "-h", self.server, name],
                       check=True, capture_output=True, timeout=20)

    def jobs_of(self, name: str) -> list[Path]:
        return sorted(self.output.glob(f"{name}.*"))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def start(root: Path) -> CupsServer:
    for sub in ("state", "cache", "spool", "tmp", "out", "ppd", "bin/backend"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("out", "tmp"):
        (root / sub).chmod(0o777)
    for sub in ("filter", "daemon", "cgi-bin", "notifier", "monitor", "driver"):
        if Path(f"/usr/lib/cups/{sub}").exists():
            (root / "bin" / sub).symlink_to(f"/usr/lib/cups/{sub}")
    backend = root / "bin/backend/capture"
    backend.write_text(CAPTURE_BACKEND)
    backend.chmod(0o700)  # 0700: cupsd runs it as its own user
    port = free_port()
    (root / "cupsd.conf").write_text(f"""Listen 127.0.0.1:{port}
LogLevel warn
DefaultAuthType None
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order allow,deny
    Allow all
  </Limit>
</Policy>
""")
    (root / "cups-files.conf").write_text(f"""ServerRoot {root}
ServerBin {root / 'bin'}
StateDir {root / 'state'}
CacheDir {root / 'cache'}
RequestRoot {root / 'spool'}
TempDir {root / 'tmp'}
ErrorLog {root / 'error_log'}
AccessLog {root / 'access_log'}
PageLog {root / 'page_log'}
""" + (f"User {os.getuid()}\nGroup {os.getgid()}\n" if os.getuid() != 0 else ""))
    process = subprocess.Popen(
        [_tool("cupsd"), "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = CupsServer(root, f"127.0.0.1:{port}", process)
    deadline = time.monotonic() + 15
    while True:
        probe = subprocess.run([_tool("lpstat"), "-h", server.server, "-r"], capture_output=True, text=True)
        if "is running" in probe.stdout:
            return server
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"cupsd did not start; see {root / 'error_log'}")
        time.sleep(0.1)
