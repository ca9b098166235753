"""Stand-ins for things outside our control, used by the test tree only (never the product path).

The one fake is the LLM: a local OpenAI-compatible HTTP server that serves scripted replies and
injects faults on demand, so the real client code (langchain-openai, openai, httpx) runs end to end.
"""

from fakes.llm_server import RecordedRequest, ScriptedLLMServer

__all__ = ["RecordedRequest", "ScriptedLLMServer"]
