"""Every model the graphs keep in their state survives the session database as itself, not a dict.

The top graph and the agents' subgraphs (which run inside its workers and checkpoint with the same
saver) hold pydantic models; the serializer revives only the classes in ``CHECKPOINTED``.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from pydantic import BaseModel

from agents.hw.request import read_request
from agents.hw.state import Candidate, HwState, Reference
from agents.sw.state import SwState
from agents.top.state import CHECKPOINTED, QimengState, WorkerInput
from graphs.session import open_checkpointer
from tools.evidence import Attempt, Check


def _models(hint: Any) -> set[type[BaseModel]]:
    """Model classes a state annotation can hold directly (through lists, unions and Annotated)."""
    if isinstance(hint, type) and issubclass(hint, BaseModel):
        return {hint}
    origin = get_origin(hint)
    if origin in (list, tuple, set, dict, typing.Union, types.UnionType, typing.Annotated):
        found: set[type[BaseModel]] = set()
        for arg in get_args(hint):
            found |= _models(arg)
        return found
    return set()


def test_every_model_in_a_graph_state_is_allowed_in_checkpoints() -> None:
    held: set[type[BaseModel]] = set()
    for state in (QimengState, WorkerInput, HwState, SwState):
        for hint in get_type_hints(state, include_extras=True).values():
            held |= _models(hint)
    missing = sorted(m.__name__ for m in held - set(CHECKPOINTED))
    assert not missing, f"state models the checkpointer would turn into dicts: {missing}"


def test_subgraph_values_come_back_as_their_classes(tmp_path: Path) -> None:
    serde = open_checkpointer(tmp_path / "sessions.sqlite").serde
    request = read_request("an 8-bit up counter with synchronous active-high reset")
    values = [
        request,
        Candidate(rtl="module top; endmodule", top="top", origin="offline:test"),
        Reference(source="class Model: pass", origin="offline:test"),
        Attempt(
            origin="offline:test", summary="lint failed", checks=[Check(name="lint", tool="t", status="fail")]
        ),
    ]
    for value in values:
        back = serde.loads_typed(serde.dumps_typed(value))
        assert type(back) is type(value) and back == value
