"""Operations: the ``qimeng`` command line, ``doctor``, the metrics catalog, and the Prometheus,
Grafana and cluster configuration files."""

__all__: list[str] = []
