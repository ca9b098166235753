"""Where work runs: local and Ray executors, campaigns, the durable result store, CDAS sampling."""

__all__: list[str] = []
