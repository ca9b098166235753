"""Run a Chroma server (``chroma run``) for workers that share one knowledge base.

:class:`ChromaServer` starts the server on a loopback port, waits until it answers, and stops it
on exit; ``qimeng kb serve`` runs one in the foreground.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from tools.errors import QimengError, ToolMissing


def chroma_executable() -> str:
    """The ``chroma`` CLI next to this Python, else on PATH.

    Raises:
        ToolMissing: no ``chroma`` command is installed.
    """
    beside = Path(sys.executable).parent / "chroma"
    if beside.is_file():
        return str(beside)
    found = shutil.which("chroma")
    if found is None:
        raise ToolMissing("the 'chroma' command is not installed; install it with: pip install chromadb")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def server_argv(path: Path, port: int, host: str = "127.0.0.1") -> list[str]:
    """The command line that serves the store at ``path`` on ``host:port``."""
    return [chroma_executable(), "run", "--host", host, "--port", str(port), "--path", str(path)]


class ChromaServer:
    """A ``chroma run`` child process; use as a context manager.

    Raises (on enter):
        QimengError: the server exited or did not answer within ``start_timeout_s``.
    """

    def __init__(
        self, path: Path, port: int | None = None, host: str = "127.0.0.1", start_timeout_s: float = 60.0
    ):
        self.path = path
        self.host = host
        self.port = port or free_port(host)
        self.start_timeout_s = start_timeout_s
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ChromaServer:
        """Start the server and wait until its heartbeat answers."""
        self.path.mkdir(parents=True, exist_ok=True)
        log = open(self.path / "server.log", "wb")  # noqa: SIM115 -- lives as long as the server
        self.process = subprocess.Popen(
            server_argv(self.path, self.port, self.host), stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + self.start_timeout_s
        url = f"http://{self.host}:{self.port}/api/v2/heartbeat"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise QimengError(
                    f"chroma server exited with status {self.process.returncode}; see {self.path / 'server.log'}"
                )
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise QimengError(
            f"chroma server did not answer on {self.host}:{self.port} within {self.start_timeout_s:.0f}s"
        )

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
