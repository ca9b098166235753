"""What the software agent returns: one kernel's source, how it was made, its speed and its evidence.

The evidence holds only the checks on the final source; earlier candidates (a designer's failed
attempt, the template's default parameters the tuner replaced) are in ``attempts``. The status is
derived from the evidence (:class:`DesignResult`).
"""

from __future__ import annotations

from pydantic import Field

from tools.evidence import DesignResult
from tools.kernels.timing import Timing


class SwDesign(DesignResult):
    """One software kernel designed from a request for one target."""

    request: str = Field("", description="The request text as given.")
    kernel: str = Field(description="Template library kernel name.")
    target: str = Field(description="Target it was built and checked for: x86_64, aarch64, riscv64, cuda.")
    source: str = Field("", description="The kernel's C (or CUDA) source.")
    origin: str = Field("", description="Who wrote it: 'offline:template:<name>' or 'llm:designer'.")
    params: dict[str, int] = Field(default_factory=dict, description="Template parameters chosen.")
    dims: dict[str, int] = Field(
        default_factory=dict, description="Problem dimensions read from the request."
    )
    timing: Timing | None = Field(None, description="Speed on the requested shape (native targets only).")
    why_not: str = Field("", description="What the last failing check said, when it is not verified.")
