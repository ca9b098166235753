"""The LLM client against the scripted OpenAI-compatible server: the real langchain/openai/httpx
stack runs; only the model's answers are scripted."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from fakes.llm_server import ScriptedLLMServer
from pydantic import BaseModel, Field

from agents.llm import (
    LLMAuthError,
    LLMClient,
    LLMNotConfigured,
    LLMRateLimited,
    LLMResponseError,
    LLMServerError,
    LLMTimeout,
    LLMUnreachable,
    RetryEvent,
    is_configured,
    ping,
)
from tools.errors import UsageError
from tools.settings import Settings, load_settings


class AdderSpec(BaseModel):
    """A structured answer: an adder's width and whether it registers its output."""

    width: int = Field(gt=0)
    registered: bool


class AddNumbers(BaseModel):
    """Add two integers."""

    a: int
    b: int


def _client(
    settings: Settings, events: list[RetryEvent] | None = None, backoff_max_s: float = 30.0
) -> LLMClient:
    return LLMClient(
        settings,
        backoff_base_s=0.01,
        jitter=0.0,
        on_retry=events.append if events is not None else None,
        backoff_max_s=backoff_max_s,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the happy paths ----------------------------------------------------------------------------
def test_invoke_returns_the_answer_and_records_tokens_per_agent(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.reply_text("module adder; endmodule", usage=(12, 5))
    llm_server.reply_text("looks fine", usage=(7, 2))
    reply = llm_client.invoke([("system", "You design RTL."), ("user", "an adder")], agent="designer")
    assert reply.content == "module adder; endmodule"
    llm_client.invoke("review it", agent="judge")

    sent = llm_server.chat_requests[0]
    assert sent.body["model"] == "scripted-model"
    assert sent.headers["authorization"] == "Bearer test-key"
    assert [m["role"] for m in sent.messages] == ["system", "user"]
    assert llm_client.ledger.as_dict() == {
        "designer": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17, "requests": 1},
        "judge": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9, "requests": 1},
    }
    assert llm_client.ledger.total().total_tokens == 26


def test_stream_yields_chunks_and_records_usage_from_the_final_chunk(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.reply_text("always @(posedge clk) q <= d;", usage=(9, 6))
    chunks = list(llm_client.stream("a flip-flop", agent="designer"))
    assert len(chunks) > 3
    assert "".join(str(c.content) for c in chunks) == "always @(posedge clk) q <= d;"
    assert llm_server.chat_requests[0].body["stream_options"] == {"include_usage": True}
    usage = llm_client.ledger.usage("designer")
    assert (usage.prompt_tokens, usage.completion_tokens, usage.requests) == (9, 6, 1)


def test_a_stream_abandoned_early_is_still_counted(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.reply_text("one two three four")
    for _chunk in llm_client.stream("count", agent="tester"):
        break
    assert llm_client.ledger.usage("tester").requests == 1


def test_tool_calls_come_back_parsed(llm_server: ScriptedLLMServer, llm_client: LLMClient) -> None:
    llm_server.reply_tool_call("AddNumbers", {"a": 2, "b": 40}, call_id="call_1")
    reply = llm_client.invoke_with_tools("what is 2 + 40?", [AddNumbers], agent="critic")
    assert reply.tool_calls == [
        {"name": "AddNumbers", "args": {"a": 2, "b": 40}, "id": "call_1", "type": "tool_call"}
    ]
    offered = llm_server.chat_requests[0].body["tools"]
    assert offered[0]["function"]["name"] == "AddNumbers"
    assert offered[0]["function"]["parameters"]["required"] == ["a", "b"]
    assert llm_client.ledger.usage("critic").requests == 1


def test_streamed_tool_calls_add_up_to_parsed_calls(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.reply_tool_calls([("AddNumbers", {"a": 1, "b": 2}), ("AddNumbers", {"a": 3, "b": 4})])
    chunks = list(llm_client.stream("two sums", agent="critic", tools=[AddNumbers]))
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole = whole + chunk
    assert [call["args"] for call in whole.tool_calls] == [{"a": 1, "b": 2}, {"a": 3, "b": 4}]
    assert llm_server.chat_requests[0].body["tools"][0]["function"]["name"] == "AddNumbers"
    assert llm_client.ledger.usage("critic").requests == 1


def test_structured_output_is_parsed_into_the_model(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.reply_json({"width": 8, "registered": True})
    spec = llm_client.structured("an 8-bit registered adder", AdderSpec, agent="planner")
    assert spec == AdderSpec(width=8, registered=True)
    fmt = llm_server.chat_requests[0].body["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "AdderSpec"
    assert set(fmt["json_schema"]["schema"]["properties"]) == {"width", "registered"}


def test_structured_output_tolerates_code_fences(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.reply_text('```json\n{"width": 4, "registered": false}\n```')
    assert llm_client.structured("x", AdderSpec, agent="planner") == AdderSpec(width=4, registered=False)


def test_malformed_structured_output_is_retried_once_with_the_error(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.reply_text('{"width": 8, "registered": ')
    llm_server.reply_json({"width": 8, "registered": False})
    assert llm_client.structured("adder", AdderSpec, agent="planner").width == 8
    retry = llm_server.chat_requests[1].messages
    assert retry[-2] == {"role": "assistant", "content": '{"width": 8, "registered":'}
    assert "not a valid JSON object" in retry[-1]["content"]
    assert llm_client.ledger.usage("planner").requests == 2


def test_structured_output_still_invalid_raises_a_clear_error(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.reply_json({"width": -1, "registered": True})
    llm_server.reply_json({"width": 0, "registered": True})
    with pytest.raises(LLMResponseError) as info:
        llm_client.structured("adder", AdderSpec, agent="planner")
    message = str(info.value)
    assert "did not answer with valid JSON for AdderSpec after 2 attempts" in message
    assert "width: Input should be greater than 0" in message
    assert llm_server.base_url in message


# -- retries ------------------------------------------------------------------------------------
def test_500_is_retried_then_succeeds(llm_server: ScriptedLLMServer, llm_settings: Settings) -> None:
    events: list[RetryEvent] = []
    client = _client(llm_settings, events)
    llm_server.fail(500)
    llm_server.fail(503)
    llm_server.reply_text("ok")
    assert client.invoke("hi", agent="designer").content == "ok"
    assert [(e.attempt, e.reason.split(":")[0]) for e in events] == [(1, "HTTP 500"), (2, "HTTP 503")]
    assert [e.delay_s for e in events] == [0.01, 0.02]  # exponential backoff from the base
    assert client.ledger.usage("designer").requests == 1


def test_429_honours_retry_after_capped_by_backoff_max(
    llm_server: ScriptedLLMServer, llm_settings: Settings
) -> None:
    events: list[RetryEvent] = []
    client = _client(llm_settings, events, backoff_max_s=0.2)
    llm_server.fail(429, retry_after=0.05)
    llm_server.fail(429, retry_after=30)
    llm_server.reply_text("ok")
    assert client.invoke("hi", agent="designer").content == "ok"
    assert [e.delay_s for e in events] == [0.05, 0.2]
    assert len(llm_server.chat_requests) == 3


def test_persistent_500_gives_up_after_the_configured_retries(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    for _ in range(3):
        llm_server.fail(500, message="model crashed")
    with pytest.raises(LLMServerError) as info:
        llm_client.invoke("hi", agent="designer")
    assert str(info.value) == (
        f"the LLM endpoint {llm_server.base_url} kept failing with HTTP 500 after 3 attempts: model crashed"
    )
    assert len(llm_server.chat_requests) == 3  # 1 + llm_max_retries


def test_persistent_429_is_a_rate_limit_error(llm_server: ScriptedLLMServer, llm_client: LLMClient) -> None:
    for _ in range(3):
        llm_server.fail(429, retry_after=0)
    with pytest.raises(LLMRateLimited, match=r"kept answering 429 \(rate limited\) after 3 attempts"):
        llm_client.invoke("hi", agent="designer")


def test_a_stalled_answer_times_out_and_is_retried(llm_server: ScriptedLLMServer) -> None:
    settings = load_settings(llm_base_url=llm_server.base_url, llm_timeout_s=0.3, llm_max_retries=1)
    events: list[RetryEvent] = []
    llm_server.stall(3.0)
    llm_server.reply_text("on time")
    assert _client(settings, events).invoke("hi", agent="designer").content == "on time"
    assert "timed out" in events[0].reason


def test_persistent_timeouts_raise_a_timeout_error(llm_server: ScriptedLLMServer) -> None:
    settings = load_settings(llm_base_url=llm_server.base_url, llm_timeout_s=0.2, llm_max_retries=1)
    llm_server.stall(3.0)
    llm_server.stall(3.0)
    with pytest.raises(LLMTimeout) as info:
        _client(settings).invoke("hi", agent="designer")
    assert str(info.value) == (
        f"the LLM endpoint {llm_server.base_url} did not answer within 0.2 s (2 attempts); "
        "raise QIMENG_LLM_TIMEOUT_S or check the server's load"
    )


# -- faults that are not retried ----------------------------------------------------------------
def test_401_is_a_clear_auth_error_without_retries(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.fail(401, message="Incorrect API key provided.")
    llm_server.reply_text("never sent")
    with pytest.raises(LLMAuthError) as info:
        llm_client.invoke("hi", agent="designer")
    assert str(info.value) == (
        f"the LLM endpoint {llm_server.base_url} rejected the API key (HTTP 401: Incorrect API key provided.); "
        "set QIMENG_LLM_API_KEY to a key it accepts"
    )
    assert len(llm_server.chat_requests) == 1
    assert llm_server.pending == 1


def test_a_wrong_key_against_a_keyed_server_is_an_auth_error() -> None:
    with ScriptedLLMServer(api_key="right") as server:
        settings = load_settings(llm_base_url=server.base_url, llm_api_key="wrong")
        with pytest.raises(LLMAuthError, match="QIMENG_LLM_API_KEY"):
            _client(settings).invoke("hi", agent="designer")


def test_a_body_that_is_not_json_is_a_clear_error(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.malformed_body()
    with pytest.raises(
        LLMResponseError, match=r"sent an answer that is not valid OpenAI JSON .*ending with /v1"
    ):
        llm_client.invoke("hi", agent="designer")


def test_a_truncated_stream_is_a_clear_error_after_the_partial_chunks(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.truncated_stream("module top; wire a; endmodule", after_chunks=2)
    seen: list[str] = []
    with pytest.raises(LLMResponseError) as info:
        for chunk in llm_client.stream("top", agent="designer"):
            seen.append(str(chunk.content))
    assert "".join(seen) == "module top; "
    assert "without a finish reason (the connection was cut)" in str(info.value)
    assert llm_client.ledger.usage("designer").requests == 1


def test_a_stream_failing_before_its_first_chunk_is_retried(
    llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    llm_server.fail(502)
    llm_server.reply_text("recovered")
    assert "".join(str(c.content) for c in llm_client.stream("hi", agent="designer")) == "recovered"
    assert len(llm_server.chat_requests) == 2


def test_an_unreachable_endpoint_fails_quickly_with_the_fix() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    events: list[RetryEvent] = []
    client = _client(load_settings(llm_base_url=url, llm_max_retries=2), events)
    with pytest.raises(LLMUnreachable) as info:
        client.invoke("hi", agent="designer")
    message = str(info.value)
    assert message.startswith(f"cannot reach the LLM endpoint {url} (3 attempts: Connection error.")
    assert "start the server or fix QIMENG_LLM_BASE_URL, or use --offline" in message
    assert len(events) == 2


# -- configuration and bad input ----------------------------------------------------------------
def test_no_endpoint_configured_is_a_usage_error_naming_the_setting() -> None:
    settings = load_settings(llm_base_url=None)
    assert not is_configured(settings)
    with pytest.raises(LLMNotConfigured) as info:
        LLMClient(settings)
    assert isinstance(info.value, UsageError)
    assert "set QIMENG_LLM_BASE_URL" in str(info.value)
    assert "--offline" in str(info.value)


def test_bad_arguments_are_usage_errors(llm_client: LLMClient, llm_settings: Settings) -> None:
    assert is_configured(llm_settings)
    with pytest.raises(UsageError, match="the prompt is empty"):
        llm_client.invoke([], agent="designer")
    with pytest.raises(UsageError, match="jitter within"):
        LLMClient(llm_settings, jitter=2.0)


def test_concurrent_calls_add_up_in_one_ledger(llm_server: ScriptedLLMServer, llm_client: LLMClient) -> None:
    for _ in range(16):
        llm_server.reply_text("x", usage=(3, 1))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: llm_client.invoke(f"q{i}", agent=f"a{i % 2}"), range(16)))
    assert llm_client.ledger.usage("a0").requests == 8
    assert llm_client.ledger.total().model_dump() == {
        "prompt_tokens": 48,
        "completion_tokens": 16,
        "total_tokens": 64,
        "requests": 16,
    }


# -- ping (qimeng doctor) -----------------------------------------------------------------------
def test_ping_reports_a_served_model(llm_server: ScriptedLLMServer, llm_settings: Settings) -> None:
    assert ping(llm_settings) == (True, f"{llm_server.base_url} answers; model 'scripted-model' is served")
    other = llm_settings.model_copy(update={"llm_model": "gpt-9"})
    ok, detail = ping(other)
    assert ok
    assert "model 'gpt-9' is not listed (it lists: scripted-model)" in detail


def test_ping_says_what_is_wrong() -> None:
    ok, detail = ping(load_settings(llm_base_url=None))
    assert not ok and "set QIMENG_LLM_BASE_URL" in detail
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    ok, detail = ping(load_settings(llm_base_url=url), timeout_s=1.0)
    assert not ok and detail.startswith(f"cannot reach {url}")
    with ScriptedLLMServer(api_key="right") as server:
        ok, detail = ping(load_settings(llm_base_url=server.base_url, llm_api_key="wrong"))
    assert (ok, detail) == (
        False,
        f"{server.base_url} rejected the API key (HTTP 401); set QIMENG_LLM_API_KEY",
    )
