"""Wiring only: the hardware and software subgraphs, the top-level QiMeng graph, checkpointers."""

__all__: list[str] = []
