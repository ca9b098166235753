"""The generator library: one explicit registry of everything the offline designer can build."""

from __future__ import annotations

from agents.hw.generators._base import Generator
from agents.hw.generators.arith import ADDER, ALU, COMPARATOR, SUBTRACTOR
from agents.hw.generators.bcd import BIN2BCD
from agents.hw.generators.comb import BIN2GRAY, DECODER, GRAY2BIN, MUX, POPCOUNT, PRIORITY_ENCODER
from agents.hw.generators.dff import DFF
from agents.hw.generators.edge_reg import EDGE_REGISTER
from agents.hw.generators.expr import EXPRESSION
from agents.hw.generators.fsm import SEQ_DETECTOR, UART_RX, UART_TX
from agents.hw.generators.fsm_table import FSM_TABLE
from agents.hw.generators.logic import LOGIC_GATE
from agents.hw.generators.mem import FIFO, RAM, REGFILE
from agents.hw.generators.mult import DOT_PRODUCT, MULTIPLIER
from agents.hw.generators.piso import PISO
from agents.hw.generators.reduce import REDUCE
from agents.hw.generators.ring import RING_COUNTER
from agents.hw.generators.select import ARBITER, DEMUX, PACKED_MUX
from agents.hw.generators.seq import CLOCK_DIVIDER, COUNTER, PWM
from agents.hw.generators.seq2 import EDGE_DETECTOR, LFSR, SHIFT_REGISTER
from agents.hw.generators.shifter import BARREL_SHIFTER, LFSR_TAPS
from agents.hw.generators.table import TRUTH_TABLE
from agents.hw.generators.wiring import WIRING
from tools.errors import UsageError

GENERATORS: dict[str, Generator] = {
    g.name: g
    for g in (
        ADDER,
        SUBTRACTOR,
        ALU,
        MULTIPLIER,
        COMPARATOR,
        DOT_PRODUCT,
        MUX,
        DECODER,
        PRIORITY_ENCODER,
        POPCOUNT,
        BIN2GRAY,
        GRAY2BIN,
        COUNTER,
        SHIFT_REGISTER,
        LFSR,
        EDGE_DETECTOR,
        CLOCK_DIVIDER,
        PWM,
        FIFO,
        REGFILE,
        RAM,
        SEQ_DETECTOR,
        UART_TX,
        UART_RX,
        TRUTH_TABLE,
        LOGIC_GATE,
        EXPRESSION,
        FSM_TABLE,
        DFF,
        REDUCE,
        BARREL_SHIFTER,
        LFSR_TAPS,
        DEMUX,
        ARBITER,
        EDGE_REGISTER,
        RING_COUNTER,
        BIN2BCD,
        WIRING,
        PACKED_MUX,
        PISO,
    )
}


def get_generator(name: str) -> Generator:
    """The generator called ``name``; UsageError lists the known ones."""
    try:
        return GENERATORS[name]
    except KeyError:
        raise UsageError(
            f"unknown generator '{name}'; known generators: {', '.join(sorted(GENERATORS))}"
        ) from None


def catalog() -> str:
    """One line per generator: name and what it builds (for help and error messages)."""
    return "\n".join(f"  {g.name:<18} {g.summary}" for g in GENERATORS.values())
