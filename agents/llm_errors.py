"""Errors of the LLM client, each naming the endpoint, what happened and what to do, and how the
openai/HTTP exceptions of one call map onto them (which are transient, how long the server asks us
to wait)."""

from __future__ import annotations

import importlib
import json

import openai

from tools.errors import QimengError, UsageError


class LLMError(QimengError):
    """An LLM call failed; the message names the endpoint, what happened and what to do."""


class LLMNotConfigured(LLMError, UsageError):
    """No endpoint is configured (exit code 2 from the CLI)."""


class LLMAuthError(LLMError):
    """The endpoint rejected the API key (HTTP 401/403). Never retried."""


class LLMUnreachable(LLMError):
    """The endpoint could not be reached (refused, DNS, reset) after every retry."""


class LLMTimeout(LLMUnreachable):
    """The endpoint did not answer within the timeout after every retry."""


class LLMRateLimited(LLMError):
    """The endpoint kept answering 429 after every retry."""


class LLMServerError(LLMError):
    """The endpoint kept failing with HTTP 5xx after every retry, or refused the request (4xx)."""


class LLMResponseError(LLMError):
    """The endpoint answered, but the answer is unusable: not JSON, a stream cut short, or structured
    output that does not match the schema even after one corrective retry."""


def _http_errors(name: str) -> tuple[type[Exception], ...]:
    """``name`` (HTTPError, TransportError) from each HTTP library the openai client may use."""
    found: list[type[Exception]] = []
    for library in ("httpx", "httpx2"):
        try:
            found.append(getattr(importlib.import_module(library), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


# openai 3 moved from httpx to httpx2; a stream that breaks mid-read raises the library's own errors.
HTTP_ERRORS = _http_errors("HTTPError")
TRANSPORT_ERRORS = _http_errors("TransportError")
CALL_ERRORS: tuple[type[Exception], ...] = (openai.APIError, json.JSONDecodeError, *HTTP_ERRORS)


def to_llm_error(exc: Exception, *, url: str, model: str, timeout_s: float, attempts: int) -> LLMError:
    """Turn the last failure of a call (after ``attempts`` tries) into the error the user sees."""
    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMAuthError(
            f"the LLM endpoint {url} rejected the API key (HTTP {exc.status_code}: {server_message(exc)}); "
            "set QIMENG_LLM_API_KEY to a key it accepts"
        )
    if isinstance(exc, openai.APITimeoutError):
        return LLMTimeout(
            f"the LLM endpoint {url} did not answer within {timeout_s:g} s ({tries}); "
            "raise QIMENG_LLM_TIMEOUT_S or check the server's load"
        )
    if isinstance(exc, (openai.APIConnectionError, *TRANSPORT_ERRORS)):
        return LLMUnreachable(
            f"cannot reach the LLM endpoint {url} ({tries}: {describe(exc)}); start the server or fix "
            "QIMENG_LLM_BASE_URL, or use --offline for the deterministic designer"
        )
    if isinstance(exc, openai.RateLimitError):
        return LLMRateLimited(
            f"the LLM endpoint {url} kept answering 429 (rate limited) after {tries}; lower the "
            "concurrency or raise QIMENG_LLM_MAX_RETRIES"
        )
    if isinstance(exc, openai.NotFoundError):
        return LLMServerError(
            f"the LLM endpoint {url} answered 404 for model '{model}' ({server_message(exc)}); check "
            "QIMENG_LLM_MODEL and that QIMENG_LLM_BASE_URL ends with /v1"
        )
    if isinstance(exc, openai.APIStatusError):
        kept = "kept failing" if exc.status_code >= 500 else "refused the request"
        return LLMServerError(
            f"the LLM endpoint {url} {kept} with HTTP {exc.status_code} after {tries}: {server_message(exc)}"
        )
    return LLMResponseError(
        f"the LLM endpoint {url} sent an answer that is not valid OpenAI JSON ({describe(exc)}); "
        "is QIMENG_LLM_BASE_URL an OpenAI-compatible API (usually ending with /v1)?"
    )


def transient(exc: Exception) -> bool:
    if isinstance(exc, (openai.APIConnectionError, *TRANSPORT_ERRORS)):
        return True  # includes timeouts
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def retry_after(exc: Exception) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if headers is None:
        return None
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            return None  # an HTTP date: fall back to our own backoff
    return None


def server_message(exc: openai.APIStatusError) -> str:
    """The endpoint's own error message, without the client's "Error code: 500 - " prefix."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(message, str) and message:
            return message
    return exc.message


def describe(exc: Exception) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {server_message(exc)}"
    cause = exc.__cause__ or exc.__context__
    text = str(exc) or type(exc).__name__
    return f"{text} ({cause})" if cause and str(cause) and str(cause) not in text else text
