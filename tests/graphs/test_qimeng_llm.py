"""The top-level graph in LLM mode against the scripted server: a plan repaired after validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.llm_server import ScriptedLLMServer

from agents.llm import LLMClient
from agents.llm_errors import LLMUnreachable
from graphs.session import Session
from tools.settings import Settings, load_settings


def test_llm_planner_fixes_an_invalid_plan_after_validator_feedback(
    tmp_path: Path, llm_server: ScriptedLLMServer, llm_client: LLMClient
) -> None:
    bad = {
        "kind": "hw",
        "tasks": [{"id": "t1", "kind": "sw", "spec": "counter", "constraints": {"target": "mips"}}],
        "rationale": "wrong agent",
    }
    good = {"kind": "hw", "tasks": [{"id": "hw-1", "kind": "hw", "spec": "8-bit counter with sync reset"}]}
    llm_server.reply_json(bad, usage=(100, 20))
    llm_server.reply_json(good, usage=(150, 30))
    s = Session(tmp_path, llm=llm_client)
    list(s.start("8-bit counter with sync reset", offline=False))
    values = s.values()
    assert values["status"] == "done" and values["hw_results"][0]["status"] == "verified"
    second_prompt = str(llm_server.requests[1].messages[-1]["content"])
    assert "rejected by the validator" in second_prompt
    assert "constraints.target 'mips' is not a known target" in second_prompt
    assert "a hardware request needs at least one hw task" in second_prompt
    assert any("first plan rejected" in f for f in values["feedback"])
    report = s.result()
    assert report is not None and report["tokens"] == 300 and report["cost"]["planner"]["tokens"] == 300


def test_unreachable_llm_is_a_clear_error_and_the_thread_is_kept(tmp_path: Path) -> None:
    settings: Settings = load_settings(
        llm_base_url="http://127.0.0.1:9/v1", llm_timeout_s=1.0, llm_max_retries=0
    )
    s = Session(tmp_path, llm=LLMClient(settings, backoff_base_s=0.0, jitter=0.0))
    with pytest.raises(LLMUnreachable, match="127.0.0.1:9"):
        list(s.start("8-bit counter with sync reset", offline=False))
    assert s.exists() and s.values()["kind"] == "hw", "intake's checkpoint survives the failure"
