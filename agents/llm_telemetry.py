"""What the LLM client reports about each request to the endpoint: the catalog's counters
(requests, tokens, latency, errors per agent and model; :mod:`tools.metrics`) and an OpenTelemetry
span after the GenAI semantic conventions (:mod:`tools.tracing`).

One :class:`LLMRequest` is one HTTP request: a call retried twice is three requests, two of them
failed. Latency is the span's duration and the ``qimeng_llm_request_duration_seconds`` histogram.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.trace import SpanKind, Status, StatusCode

from agents.llm_errors import (
    LLMAuthError,
    LLMError,
    LLMRateLimited,
    LLMResponseError,
    LLMServerError,
    LLMTimeout,
    LLMUnreachable,
    to_llm_error,
)
from tools.metrics import record_llm, record_llm_error
from tools.tracing import start_span

#: Error class -> the catalog's ``error`` label (first match wins: a timeout is also unreachable).
ERROR_KINDS: tuple[tuple[type[LLMError], str], ...] = (
    (LLMAuthError, "auth"),
    (LLMTimeout, "timeout"),
    (LLMUnreachable, "connection"),
    (LLMRateLimited, "rate_limit"),
    (LLMServerError, "server"),
    (LLMResponseError, "malformed"),
)
SYSTEM = "openai"
"""``gen_ai.system``: the API the client speaks (OpenAI-compatible servers included)."""


def error_kind(error: LLMError) -> str:
    """The catalog's kind of an LLM error: timeout, rate_limit, server, auth, connection or malformed."""
    return next((kind for cls, kind in ERROR_KINDS if isinstance(error, cls)), "malformed")


class LLMRequest:
    """One request of ``agent`` to ``model`` at ``base_url``, timed (and its span open) from creation
    to :meth:`answered` or :meth:`failed` (each ends the span; call exactly one)."""

    def __init__(self, agent: str, model: str, base_url: str, *, streamed: bool = False) -> None:
        self.agent, self.model = agent, model
        url = urlsplit(base_url)
        self._span = start_span(
            f"chat {model}",
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.system": SYSTEM,
                "gen_ai.provider.name": SYSTEM,
                "gen_ai.request.model": model,
                "gen_ai.agent.name": agent,
                "server.address": url.hostname or "",
                "server.port": url.port or (443 if url.scheme == "https" else 80),
                "qimeng.llm.streamed": streamed,
            },
            kind=SpanKind.CLIENT,
        )
        self._start = time.monotonic()

    def answered(self, usage: Mapping[str, Any] | None, response: Mapping[str, Any] | None = None) -> None:
        """The endpoint answered: count the request and its tokens (LangChain ``usage_metadata``;
        none reported counts zero) and end the span with the GenAI usage attributes."""
        seconds = time.monotonic() - self._start
        prompt = int((usage or {}).get("input_tokens") or 0)
        completion = int((usage or {}).get("output_tokens") or 0)
        record_llm(self.agent, self.model, prompt, completion, seconds)
        self._span.set_attribute("gen_ai.usage.input_tokens", prompt)
        self._span.set_attribute("gen_ai.usage.output_tokens", completion)
        meta = response or {}
        if meta.get("model_name"):
            self._span.set_attribute("gen_ai.response.model", str(meta["model_name"]))
        if meta.get("finish_reason"):
            self._span.set_attribute("gen_ai.response.finish_reasons", [str(meta["finish_reason"])])
        self._span.end()

    def failed(self, exc: Exception, *, timeout_s: float = 0.0) -> str:
        """The request failed with ``exc`` (an openai/HTTP exception or an :class:`LLMError`): count
        it by kind, end the span as an error, and return the kind."""
        seconds = time.monotonic() - self._start
        error = (
            exc
            if isinstance(exc, LLMError)
            else to_llm_error(exc, url="", model=self.model, timeout_s=timeout_s, attempts=1)
        )
        kind = error_kind(error)
        record_llm_error(self.agent, self.model, kind, seconds)
        self._span.set_attribute("error.type", kind)
        self._span.record_exception(exc)
        self._span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        self._span.end()
        return kind
