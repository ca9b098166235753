"""The LLM client records every request to the endpoint in the catalog: requests, tokens and latency
per agent and model, failed requests by kind, and the configured daily token budget."""

from __future__ import annotations

import pytest
from fakes.llm_server import ScriptedLLMServer

from agents.llm import LLMClient, LLMRateLimited, LLMResponseError
from tools.metrics import REGISTRY
from tools.settings import Settings, load_settings


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def settings(llm_server: ScriptedLLMServer) -> Settings:
    return load_settings(
        llm_base_url=llm_server.base_url,
        llm_model="metrics-model",
        llm_timeout_s=2.0,
        llm_max_retries=1,
        llm_tokens_per_day=12_345,
    )


def test_answers_count_requests_tokens_and_latency_per_agent_and_model(
    llm_server: ScriptedLLMServer, settings: Settings
) -> None:
    who = {"agent": "metrics.answer", "model": "metrics-model"}
    before = (
        value("qimeng_llm_requests_total", **who),
        value("qimeng_llm_request_duration_seconds_count", **who),
    )
    llm_server.reply_text("one", usage=(11, 3))
    llm_server.reply_text("two three", usage=(7, 2))
    client = LLMClient(settings, backoff_base_s=0.0, jitter=0.0)
    client.invoke("hi", agent="metrics.answer")
    assert "".join(str(c.content) for c in client.stream("hi", agent="metrics.answer")) == "two three"
    assert value("qimeng_llm_requests_total", **who) == before[0] + 2
    assert value("qimeng_llm_request_duration_seconds_count", **who) == before[1] + 2
    assert value("qimeng_llm_tokens_total", token="prompt", **who) == 18
    assert value("qimeng_llm_tokens_total", token="completion", **who) == 5
    assert value("qimeng_llm_token_budget_per_day") == 12_345


def test_failed_requests_count_by_kind_retried_or_not(
    llm_server: ScriptedLLMServer, settings: Settings
) -> None:
    who = {"agent": "metrics.fail", "model": "metrics-model"}
    llm_server.fail(429)
    llm_server.fail(429)
    client = LLMClient(settings, backoff_base_s=0.0, jitter=0.0)
    with pytest.raises(LLMRateLimited):
        client.invoke("hi", agent="metrics.fail")
    assert value("qimeng_llm_errors_total", error="rate_limit", **who) == 2  # the first try and its retry
    llm_server.malformed_body()
    with pytest.raises(LLMResponseError):
        client.invoke("hi", agent="metrics.fail")
    assert value("qimeng_llm_errors_total", error="malformed", **who) == 1
    llm_server.truncated_stream("cut short here", after_chunks=1)
    with pytest.raises(LLMResponseError):
        list(client.stream("hi", agent="metrics.fail"))
    assert value("qimeng_llm_errors_total", error="malformed", **who) == 2  # ended with no finish reason
    assert value("qimeng_llm_requests_total", **who) == 4
    assert value("qimeng_llm_tokens_total", token="prompt", **who) == 0
