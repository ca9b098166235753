"""``--metrics-port`` / ``--metrics/--no-metrics`` for long-lived commands, and starting the exporter.

Every long-lived process (a campaign driver, a chat session) serves the metrics catalog
(:mod:`tools.metrics`) on 127.0.0.1 at ``--metrics-port``, by default the ``metrics_port`` setting
(``QIMENG_METRICS_PORT``), where the Prometheus of ``qimeng ops up`` scrapes it. A port already in
use is a yellow notice, not a failure: the work matters more than its metrics.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from tools.settings import get_settings

MetricsPortOption = Annotated[
    int | None,
    typer.Option(
        "--metrics-port",
        min=0,
        help="Serve /metrics here (default: settings.metrics_port; 0: any free port).",
    ),
]
MetricsOption = Annotated[
    bool, typer.Option("--metrics/--no-metrics", help="Expose Prometheus metrics while running.")
]


def start_metrics(enabled: bool, port: int | None, console: Console | None = None) -> int | None:
    """Serve ``/metrics`` on 127.0.0.1 at ``port`` (None: the setting) when ``enabled``.

    Prints where (``metrics on http://127.0.0.1:PORT/metrics``) or why not to ``console``
    (default: stderr). Returns the port bound, or None when not serving.
    """
    if not enabled:
        return None
    from tools.metrics import serve  # prometheus_client: only for the commands that serve

    out = console or Console(stderr=True)
    wanted = get_settings().metrics_port if port is None else port
    try:
        bound = serve(wanted)
    except OSError as exc:
        out.print(f"[yellow]metrics not served: port {wanted}: {exc.strerror}[/yellow]")
        return None
    out.print(f"metrics on http://127.0.0.1:{bound}/metrics")
    return bound
