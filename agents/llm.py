"""The LLM client: a thin layer over ``langchain_openai.ChatOpenAI`` built from :class:`Settings`.

What this layer adds: retries with exponential backoff on 429, 5xx, connection errors and timeouts
(honouring ``Retry-After``), errors that name the endpoint and the fix, token accounting per agent on
every call (streams included), structured output parsed into pydantic models with one corrective
retry, and :func:`ping` for ``qimeng doctor``. It is the only module that imports langchain_openai.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, convert_to_messages
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ValidationError

from agents.llm_errors import (
    CALL_ERRORS,
    LLMAuthError,
    LLMError,
    LLMNotConfigured,
    LLMRateLimited,
    LLMResponseError,
    LLMServerError,
    LLMTimeout,
    LLMUnreachable,
    describe,
    retry_after,
    server_message,
    to_llm_error,
    transient,
)
from agents.llm_telemetry import LLMRequest
from agents.tokens import TokenLedger, TokenUsage
from tools.errors import UsageError
from tools.metrics import set_token_budget
from tools.settings import Settings, get_settings

Prompt = str | Sequence[BaseMessage | tuple[str, str] | dict[str, Any] | str]
"""A prompt: a user message as a string, or messages (LangChain objects, (role, text) pairs, dicts)."""

__all__ = [
    "LLMAuthError",
    "LLMClient",
    "LLMError",
    "LLMNotConfigured",
    "LLMRateLimited",
    "LLMResponseError",
    "LLMServerError",
    "LLMTimeout",
    "LLMUnreachable",
    "Prompt",
    "RetryEvent",
    "TokenLedger",
    "TokenUsage",
    "is_configured",
    "ping",
]

ModelT = TypeVar("ModelT", bound=BaseModel)


_INVALID_JSON_FEEDBACK = (
    "Your previous reply was not a valid JSON object for the required schema ({error}). "
    "Reply again with only the JSON object, no prose and no code fences."
)


@dataclass(frozen=True)
class RetryEvent:
    """One retry about to happen: which attempt failed, why, and how long we wait before the next."""

    agent: str
    attempt: int
    reason: str
    delay_s: float


@dataclass
class _StreamProgress:
    chunks: int = 0
    finished: bool = False
    usage: dict[str, Any] | None = None

    def add(self, chunk: AIMessageChunk) -> None:
        self.chunks += 1
        if chunk.usage_metadata:
            self.usage = dict(chunk.usage_metadata)
        if chunk.response_metadata.get("finish_reason"):
            self.finished = True


def is_configured(settings: Settings | None = None) -> bool:
    """True when an LLM endpoint is configured (``QIMENG_LLM_BASE_URL`` is set)."""
    return bool((settings or get_settings()).llm_base_url)


def _not_configured() -> LLMNotConfigured:
    return LLMNotConfigured(
        "no LLM endpoint is configured; set QIMENG_LLM_BASE_URL (e.g. http://localhost:8000/v1) "
        "to an OpenAI-compatible server, or use --offline for the deterministic designer"
    )


class LLMClient:
    """Chat with an OpenAI-compatible endpoint; every call is retried, checked and accounted.

    Args:
        settings: endpoint, model, key, timeout and retry count (default: :func:`get_settings`).
        ledger: where token usage is recorded, per agent (default: a new ledger, ``self.ledger``).
        backoff_base_s: first retry waits this long, doubling each time (plus up to ``jitter`` of it).
        backoff_max_s: no wait, including one asked for by ``Retry-After``, is longer than this.
        jitter: fraction of random extra wait, so many workers do not retry in lockstep (0 disables).
        on_retry: called before each retry wait (for logs and metrics).
        temperature, max_tokens, seed: sent with every request when given.

    Raises:
        LLMNotConfigured: ``settings.llm_base_url`` is unset.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        ledger: TokenLedger | None = None,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        jitter: float = 0.1,
        on_retry: Callable[[RetryEvent], None] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        if not self.settings.llm_base_url:
            raise _not_configured()
        if backoff_base_s < 0 or backoff_max_s < 0 or not 0 <= jitter <= 1:
            raise UsageError("backoff_base_s and backoff_max_s must be >= 0 and jitter within [0, 1]")
        self.base_url: str = self.settings.llm_base_url
        self.model: str = self.settings.llm_model
        self.ledger = ledger if ledger is not None else TokenLedger()
        set_token_budget(self.settings.llm_tokens_per_day)
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._jitter = jitter
        self._on_retry = on_retry
        extra: dict[str, Any] = {}
        if temperature is not None:
            extra["temperature"] = temperature
        if max_tokens is not None:
            extra["max_tokens"] = max_tokens
        if seed is not None:
            extra["seed"] = seed
        # Retries live in this layer (max_retries=0 below) so they are counted, reported and
        # configurable; the chat-completions API is forced because local servers lack /responses.
        self._chat = ChatOpenAI(
            model=self.model,
            base_url=self.base_url,
            api_key=self.settings.llm_api_key,
            timeout=self.settings.llm_timeout_s,
            max_retries=0,
            stream_usage=True,
            use_responses_api=False,
            **extra,
        )

    # -- public calls ------------------------------------------------------------------------
    def invoke(self, prompt: Prompt, *, agent: str) -> AIMessage:
        """Send ``prompt`` and return the model's answer; usage is recorded under ``agent``.

        Raises:
            LLMAuthError, LLMUnreachable, LLMTimeout, LLMRateLimited, LLMServerError, LLMResponseError.
        """
        return self._call(self._chat, _messages(prompt), agent)

    def invoke_with_tools(
        self, prompt: Prompt, tools: Sequence[Any], *, agent: str, tool_choice: str | None = None
    ) -> AIMessage:
        """Offer ``tools`` (pydantic models, typed functions, LangChain tools or OpenAI tool dicts).

        Returns the answer; its ``tool_calls`` list the calls with parsed arguments, and
        ``invalid_tool_calls`` any whose arguments were not valid JSON. ``tool_choice`` may be
        "auto", "required", "none" or a tool name. Raises as :meth:`invoke`.
        """
        bound = self._chat.bind_tools(list(tools), tool_choice=tool_choice)
        return self._call(bound, _messages(prompt), agent)

    def stream(
        self,
        prompt: Prompt,
        *,
        agent: str,
        tools: Sequence[Any] | None = None,
        tool_choice: str | None = None,
    ) -> Iterator[AIMessageChunk]:
        """Yield the answer chunk by chunk (``chunk.content`` is the new text); add chunks to rebuild it
        (the sum's ``tool_calls`` are parsed when ``tools`` were offered, as in :meth:`invoke_with_tools`).

        A failure before the first chunk is retried like :meth:`invoke`. Usage (reported by the
        final chunk) is recorded when the stream ends, also when the caller stops early.

        Raises:
            LLMResponseError: the stream broke off after it had started (no finish reason arrived).
            and the errors of :meth:`invoke` for failures before the first chunk.
        """
        messages = _messages(prompt)
        runnable = self._chat.bind_tools(list(tools), tool_choice=tool_choice) if tools else self._chat
        attempt = 0
        while True:
            attempt += 1
            seen = _StreamProgress()
            request = LLMRequest(agent, self.model, self.base_url, streamed=True)
            try:
                try:
                    for chunk in runnable.stream(messages):
                        seen.add(chunk)
                        yield chunk
                except CALL_ERRORS as exc:
                    request.failed(exc, timeout_s=self.settings.llm_timeout_s)
                    if seen.chunks == 0:
                        if self._should_retry(exc, attempt, agent):
                            continue
                        raise self._error(exc, attempt) from exc
                    raise LLMResponseError(
                        f"the stream from {self.base_url} broke off after {seen.chunks} chunks "
                        f"({describe(exc)}); the answer is incomplete, call again"
                    ) from exc
            except GeneratorExit:  # the caller stopped reading after a chunk: an answer, cut short
                request.answered(seen.usage)
                raise
            finally:
                if seen.chunks:  # answered, even if cut short or abandoned by the caller
                    self.ledger.record(agent, TokenUsage.from_metadata(seen.usage))
            if not seen.finished:
                request.failed(LLMResponseError("the stream ended without a finish reason"))
                raise LLMResponseError(
                    f"the stream from {self.base_url} ended after {seen.chunks} chunks without a finish "
                    "reason (the connection was cut); the answer is incomplete, call again"
                )
            request.answered(seen.usage)
            return

    def structured(
        self, prompt: Prompt, schema: type[ModelT], *, agent: str, fix_attempts: int = 1
    ) -> ModelT:
        """Ask for a JSON answer matching ``schema`` (sent as a JSON-schema ``response_format``).

        A reply that is not valid JSON for the schema (code fences are tolerated) is sent back with
        the validation error and the model asked again, up to ``fix_attempts`` times.

        Raises:
            LLMResponseError: still invalid after the corrective attempts (names the schema and error).
            and the errors of :meth:`invoke`.
        """
        if fix_attempts < 0:
            raise UsageError(f"fix_attempts must be >= 0, got {fix_attempts}")
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema(), "strict": False},
        }
        bound = self._chat.bind(response_format=response_format)
        messages = _messages(prompt)
        for attempt in range(fix_attempts + 1):
            reply = self._call(bound, messages, agent)
            text = _strip_fences(reply.text if isinstance(reply.text, str) else str(reply.content))
            try:
                return schema.model_validate_json(text)
            except ValidationError as exc:
                problem = _validation_summary(exc)
            if attempt < fix_attempts:
                messages = [
                    *messages,
                    AIMessage(content=text),
                    HumanMessage(_INVALID_JSON_FEEDBACK.format(error=problem)),
                ]
        raise LLMResponseError(
            f"the model at {self.base_url} did not answer with valid JSON for {schema.__name__} after "
            f"{fix_attempts + 1} attempts: {problem}; last reply began {text[:120]!r}"
        )

    # -- retry machinery ---------------------------------------------------------------------
    def _call(self, runnable: Any, messages: list[BaseMessage], agent: str) -> AIMessage:
        attempt = 0
        while True:
            attempt += 1
            request = LLMRequest(agent, self.model, self.base_url)
            try:
                reply = runnable.invoke(messages)
            except CALL_ERRORS as exc:
                request.failed(exc, timeout_s=self.settings.llm_timeout_s)
                if self._should_retry(exc, attempt, agent):
                    continue
                raise self._error(exc, attempt) from exc
            request.answered(reply.usage_metadata, reply.response_metadata)
            self.ledger.record(agent, TokenUsage.from_metadata(reply.usage_metadata))
            if not isinstance(reply, AIMessage):
                raise LLMResponseError(
                    f"the endpoint {self.base_url} returned {type(reply).__name__}, not a message"
                )
            return reply

    def _error(self, exc: Exception, attempts: int) -> LLMError:
        return to_llm_error(
            exc, url=self.base_url, model=self.model, timeout_s=self.settings.llm_timeout_s, attempts=attempts
        )

    def _should_retry(self, exc: Exception, attempt: int, agent: str) -> bool:
        """Sleep and return True when ``exc`` is transient and retries remain."""
        if not transient(exc) or attempt > self.settings.llm_max_retries:
            return False
        delay = min(self._backoff_max_s, self._backoff_base_s * 2 ** (attempt - 1))
        delay += random.uniform(0, self._jitter * delay)
        asked = retry_after(exc)
        if asked is not None:
            delay = min(self._backoff_max_s, asked)
        if self._on_retry is not None:
            self._on_retry(RetryEvent(agent=agent, attempt=attempt, reason=describe(exc), delay_s=delay))
        time.sleep(delay)
        return True


def _messages(prompt: Prompt) -> list[BaseMessage]:
    if isinstance(prompt, str):
        return [HumanMessage(prompt)]
    if not prompt:
        raise UsageError("the prompt is empty; pass a string or at least one message")
    return list(convert_to_messages(list(prompt)))


def _strip_fences(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        if stripped.rstrip().endswith("```"):
            stripped = stripped.rstrip()[:-3]
    return stripped.strip()


def _validation_summary(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{where}: {err['msg']}")
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def ping(settings: Settings | None = None, *, timeout_s: float = 5.0) -> tuple[bool, str]:
    """Say whether an LLM endpoint is configured and answers (``GET /models``, no retries).

    Returns ``(ok, detail)``: ok is True when the endpoint answers; detail is one line for a human
    (including whether the configured model is listed). Never raises for endpoint problems.
    """
    settings = settings or get_settings()
    if not settings.llm_base_url:
        return False, str(_not_configured())
    url, model = settings.llm_base_url, settings.llm_model
    client = openai.OpenAI(base_url=url, api_key=settings.llm_api_key, timeout=timeout_s, max_retries=0)
    try:
        listed = [m.id for m in client.models.list().data]
    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
        return False, f"{url} rejected the API key (HTTP {exc.status_code}); set QIMENG_LLM_API_KEY"
    except openai.NotFoundError:
        return True, f"{url} answers (it has no /models listing, so model '{model}' is unchecked)"
    except openai.APITimeoutError:
        return False, f"{url} did not answer within {timeout_s:g} s"
    except openai.APIConnectionError as exc:
        return False, f"cannot reach {url} ({describe(exc)}); start the server or fix QIMENG_LLM_BASE_URL"
    except openai.APIStatusError as exc:
        return False, f"{url} answered HTTP {exc.status_code}: {server_message(exc)}"
    except (json.JSONDecodeError, openai.APIError) as exc:
        return False, f"{url} answered with something that is not OpenAI JSON ({describe(exc)})"
    finally:
        client.close()
    if model in listed:
        return True, f"{url} answers; model '{model}' is served"
    shown = ", ".join(listed[:5]) or "none"
    return (
        True,
        f"{url} answers, but model '{model}' is not listed (it lists: {shown}); check QIMENG_LLM_MODEL",
    )
