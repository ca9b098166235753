"""Query vectors (one text, fast path) equal document vectors (batched encode) for the same text."""

from __future__ import annotations

import numpy as np

from knowledge.embedding import DIMENSIONS, _load, embed


def test_single_query_fast_path_matches_batched_encode() -> None:
    texts = ["vsetvli with a tail-agnostic policy", "x", "machine-mode trap delegation " * 40]
    batched = embed(texts)  # more than one text: the sentence-transformers encode path
    for i, text in enumerate(texts):
        one = embed([text])
        assert one.shape == (1, DIMENSIONS) and one.dtype == np.float32
        assert np.allclose(one[0], batched[i], atol=1e-5)
        assert abs(float(np.linalg.norm(one[0])) - 1.0) < 1e-5


def test_fast_path_is_the_bundled_pipeline() -> None:
    assert [type(m).__name__ for m in _load()] == ["Transformer", "Pooling", "Normalize"]
