"""Operations: the ``qimeng`` command line, ``doctor``, and the Prometheus, Grafana and cluster
configuration files (the metrics catalog they read is :mod:`tools.metrics`)."""

__all__: list[str] = []
