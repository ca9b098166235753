"""A local Prometheus on loopback with qimeng's scrape config, recording and alert rules.

:func:`render_config` fills the placeholders of ``ops/prometheus/prometheus.yml`` (rules
directory, the driver's metrics port, Ray's service-discovery file); :func:`start` runs the Debian
``prometheus`` binary with that file, its data under the given directory, listening on
127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tools.errors import QimengError, ToolMissing, UsageError

CONFIG_DIR = Path(__file__).parent / "prometheus"


def ray_sd_file() -> Path:
    """Where the Ray head writes its Prometheus service-discovery file."""
    base = Path(os.environ.get("RAY_TMPDIR", "/tmp"))
    return base / "ray" / "prom_metrics_service_discovery.json"


def render_config(out_dir: Path, metrics_port: int, sd_file: Path | None = None) -> Path:
    """Write a ready-to-run ``prometheus.yml`` into ``out_dir`` and return its path."""
    sd = sd_file or ray_sd_file()
    text = (CONFIG_DIR / "prometheus.yml").read_text()
    text = text.replace("@RULES_DIR@", str((CONFIG_DIR / "rules").resolve()))
    text = text.replace("@METRICS_PORT@", str(metrics_port))
    text = text.replace("@RAY_SD_FILE@", str(sd))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "prometheus.yml"
    path.write_text(text)
    return path


@dataclass
class PrometheusServer:
    """A running Prometheus process."""

    process: subprocess.Popen[bytes]
    url: str
    config: Path

    def stop(self) -> None:
        """Terminate it and wait."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(data_dir: Path, port: int, metrics_port: int, sd_file: Path | None = None) -> PrometheusServer:
    """Start Prometheus on ``127.0.0.1:port`` and wait until it is ready.

    Raises:
        ToolMissing: when the prometheus binary is not installed.
        UsageError: ``data_dir`` is a file, or ``port`` is taken.
        QimengError: when it does not become ready within 30 s (with its last log lines).
    """
    binary = shutil.which("prometheus")
    if binary is None:
        raise ToolMissing("prometheus is not installed; run 'make demo' or 'apt-get install prometheus'")
    if data_dir.exists() and not data_dir.is_dir():
        raise UsageError(f"--data {data_dir} is a file; give a directory (it is created when missing)")
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise UsageError(
                f"port {port} on 127.0.0.1 is already in use; choose another with --port"
            ) from None
    config = render_config(data_dir, metrics_port, sd_file)
    log = (data_dir / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={data_dir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as resp:
                if resp.status == 200:
                    return PrometheusServer(proc, url, config)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    proc.kill()
    tail = (data_dir / "prometheus.log").read_text(errors="replace").splitlines()[-5:]
    raise QimengError(f"prometheus did not become ready on {url}: " + " | ".join(tail))
