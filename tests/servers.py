"""Starting a real `eventcoder serve` for tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def start_server(db: Path, *options: str) -> tuple[subprocess.Popen[bytes], str]:
    """`eventcoder serve` on a free port, once it answers /api/stats: the process and its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "eventcoder", "serve", "--db", str(db), "--port", str(port), *options]
    base = f"http://127.0.0.1:{port}"
    # stderr to a file, not a pipe: a server logging every request would fill a pipe and stall. The
    # server keeps its own handle when ours is closed.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/stats", timeout=1).read()
                return proc, base
            except OSError:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(log.read().decode(errors="replace")) from None
                time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"{' '.join(command)} did not answer within 30 s")
