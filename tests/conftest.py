"""Shared pytest fixtures. The LLM stand-in: a scripted OpenAI-compatible server on 127.0.0.1.

``llm_server`` is a started :class:`fakes.llm_server.ScriptedLLMServer` (queue replies on it);
``llm_settings`` points :class:`tools.settings.Settings` at it with a short timeout and two retries;
``llm_client`` is an :class:`agents.llm.LLMClient` on those settings with near-zero, jitter-free backoff.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from fakes.llm_server import ScriptedLLMServer

from tools.settings import Settings, get_settings, load_settings

_EXIT_STATUS = pytest.StashKey[int]()

# Every test run writes its artifacts to a private run directory, never the checkout's runs/, and
# leaves the knowledge base out unless a test turns it on (tests/agents/test_knowledge_use.py).
os.environ.setdefault("QIMENG_RUN_DIR", tempfile.mkdtemp(prefix="qimeng-test-runs-"))
os.environ.setdefault("QIMENG_USE_KNOWLEDGE", "0")

if TYPE_CHECKING:  # imported lazily: langchain is slow to import and most tests never need it
    from agents.llm import LLMClient


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Each test reads settings anew, so environment set with monkeypatch takes effect."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def llm_server() -> Iterator[ScriptedLLMServer]:
    """A running scripted LLM server, stopped after the test."""
    with ScriptedLLMServer() as server:
        yield server


@pytest.fixture
def llm_settings(llm_server: ScriptedLLMServer) -> Settings:
    """Settings aimed at ``llm_server``: 2 s timeout, 2 retries."""
    return load_settings(
        llm_base_url=llm_server.base_url,
        llm_model="scripted-model",
        llm_api_key="test-key",
        llm_timeout_s=2.0,
        llm_max_retries=2,
    )


@pytest.fixture
def llm_client(llm_settings: Settings) -> LLMClient:
    """A client on ``llm_settings`` whose retries wait only 10 ms (no jitter)."""
    from agents.llm import LLMClient

    return LLMClient(llm_settings, backoff_base_s=0.01, jitter=0.0)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remember the exit status for :func:`pytest_unconfigure`."""
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without the interpreter's final clean-up once the report is printed.

    Native libraries loaded in this process (Ray's core worker, Chroma's Rust bindings, torch's
    thread pools) occasionally crashed during interpreter shutdown, after every test had passed,
    turning a green run into a segmentation fault. Nothing is left to do at this point: the summary
    is printed and every fixture has been torn down.
    """
    if _EXIT_STATUS in config.stash:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash[_EXIT_STATUS])
