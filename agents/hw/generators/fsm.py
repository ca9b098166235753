"""State-machine generators: sequence detector, UART transmitter and receiver."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from agents.hw.generators._base import (
    SEQ_HEAD,
    Found,
    Generator,
    SeqParams,
    always_ff,
    clock_ports,
    clog2,
    decls,
    inp,
    out,
    read_int,
    read_reset,
    reset_active,
)
from agents.hw.interface import Port

# ---- sequence detector -------------------------------------------------------------------------


class SeqDetectorParams(SeqParams):
    pattern: str = Field(
        "1011", description="Bit pattern to detect, first bit first (2..16 characters of 0/1)."
    )
    overlap: bool = Field(True, description="Overlapping matches count (e.g. 1011011 holds two 1011).")

    @field_validator("pattern")
    @classmethod
    def _bits(cls, v: str) -> str:
        if not re.fullmatch(r"[01]{2,16}", v):
            raise ValueError(f"pattern must be 2..16 characters of 0 and 1, got {v!r}")
        return v


def _kmp_next(pattern: str, state: int, bit: str) -> int:
    """Longest prefix of ``pattern`` that is a suffix of (matched prefix + bit)."""
    seen = pattern[:state] + bit
    for k in range(min(len(seen), len(pattern)), 0, -1):
        if seen.endswith(pattern[:k]):
            return k
    return 0


def _sd_ports(p: SeqDetectorParams) -> list[Port]:
    return [*clock_ports(p), inp("din"), out("detected")]


def _sd_rtl(p: SeqDetectorParams, module: str) -> str:
    n = len(p.pattern)
    bits = clog2(n + 1)
    arms = []
    for s in range(n + 1):
        base = 0 if (s == n and not p.overlap) else s
        if s == n and not p.overlap:
            nxt0, nxt1 = _kmp_next(p.pattern, 0, "0"), _kmp_next(p.pattern, 0, "1")
        else:
            nxt0, nxt1 = _kmp_next(p.pattern, base, "0"), _kmp_next(p.pattern, base, "1")
        arms.append(f"            {bits}'d{s}: state <= din ? {bits}'d{nxt1} : {bits}'d{nxt0};")
    table = "\n".join(arms)
    return f"""module {module} (
    {decls(_sd_ports(p))}
);
    // Moore FSM for pattern {p.pattern} ({"overlapping" if p.overlap else "non-overlapping"});
    // state k = the last k bits equal the first k bits of the pattern
    reg [{bits - 1}:0] state;
    {always_ff(p)} begin
        if ({reset_active(p)}) state <= 0;
        else case (state)
{table}
            default: state <= 0;
        endcase
    end
    assign detected = (state == {bits}'d{n});
endmodule
"""


def _sd_model(p: SeqDetectorParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    PATTERN = {p.pattern!r}

    def reset(self) -> None:
        self.history = ""
        self.hit = False

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"detected": int(self.hit)}}

    def clock(self, ins: dict[str, int]) -> None:
        if self.hit and not {p.overlap}:
            self.history = ""
        self.history = (self.history + str(ins["din"] & 1))[-len(self.PATTERN):]
        self.hit = self.history == self.PATTERN
"""
    )


_BITS = r"[01](?:[ \t]*[,_-]?[ \t]*[01]){1,15}"
_PATTERNS = (
    r"['\"`](" + _BITS + r")['\"`]",
    r"\b(?:pattern|sequence|string|bits)\s*(?:of|=|:|is)?\s*(" + _BITS + r")(?![\w,-])",
    r"(?<![\w'])([01]{3,16})(?![\w'])",
    r"(?<![\w'.])([01](?:[ \t]*,[ \t]*[01]){2,15})(?![\w'])",
)


def _sd_extract(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    for pat in _PATTERNS:
        hits = {re.sub(r"[^01]", "", m.group(1)): m.group(0) for m in re.finditer(pat, text, re.I)}
        if len(hits) == 1:
            bits, words = next(iter(hits.items()))
            found.put("pattern", bits, words)
            break
        if len(hits) > 1:
            found.lack(f"one pattern to detect (the text has several: {', '.join(sorted(hits))})")
            break
    if found.search("overlap", text, r"non[\s-]*overlap\w*|without overlap\w*|not overlap\w*", False) is None:
        found.search("overlap", text, r"\boverlap\w*", True)
    mealy = re.search(r"\bmealy\b", text, re.I)
    moore = re.search(r"\bmoore\b", text, re.I)
    if mealy:
        found.lack(f"a Moore output ('{mealy.group(0)}': this detector's output is Moore, one cycle later)")
    elif moore:
        found.note("output", "Moore", moore.group(0))
    else:
        found.note("output", "Moore", "")
    return found


SEQ_DETECTOR = Generator(
    name="seq_detector",
    summary="Sequence detector FSM (Moore): 'detected' after the last bit of a pattern (pattern, overlap)",
    params=SeqDetectorParams,
    keywords=(r"sequence[\s-]*detect", r"\bdetect(s|or)?\b", r"\bpattern\b", r"\b[01]{3,16}\b"),
    extract=_sd_extract,
    required=("pattern", "overlap"),
    ports=_sd_ports,
    rtl=_sd_rtl,
    model=_sd_model,
    aliases={
        "din": ("din", "in", "x", "d", "data", "bit", "serial_in"),
        "detected": ("detected", "detect", "out", "z", "y", "match", "found", "q"),
    },
)


# ---- UART --------------------------------------------------------------------------------------


class UartParams(SeqParams):
    clks_per_bit: int = Field(16, ge=2, le=1 << 16, description="Clock cycles per bit (clock / baud rate).")


def _uart_extract(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    read_int(
        found,
        "clks_per_bit",
        text,
        (
            r"(\d+)\s*(?:clocks?|clks?|cycles)\s*(?:per|/)\s*bit",
            r"clks?_per_bit\s*(?:=|:)?\s*(\d+)",
            r"baud\s*divisor\s*(?:of|=|:)?\s*(\d+)",
        ),
    )
    clock = re.search(r"(\d+)\s*mhz", text, re.I)
    baud = re.search(r"(\d+)\s*baud|baud\s*(?:rate)?\s*(?:of|=|:)?\s*(\d+)", text, re.I)
    if "clks_per_bit" not in found and clock and baud:
        rate = int(next(g for g in baud.groups() if g))
        found.put(
            "clks_per_bit",
            round(int(clock.group(1)) * 1_000_000 / rate),
            f"{clock.group(0)}, {baud.group(0)}",
        )
    return found


def _tx_ports(p: UartParams) -> list[Port]:
    return [*clock_ports(p), inp("start"), inp("data", 8), out("tx"), out("busy")]


def _tx_rtl(p: UartParams, module: str) -> str:
    c = p.clks_per_bit
    cb = clog2(c)
    return f"""module {module} (
    {decls(_tx_ports(p), ("busy",))}
);
    // 8N1, LSB first, {c} clocks per bit; start is taken only while idle
    reg [9:0] frame;
    reg [3:0] idx;
    reg [{cb - 1}:0] cnt;
    assign tx = busy ? frame[idx] : 1'b1;
    {always_ff(p)} begin
        if ({reset_active(p)}) begin
            busy <= 1'b0; frame <= 10'h3ff; idx <= 0; cnt <= 0;
        end else if (!busy) begin
            if (start) begin
                busy <= 1'b1; frame <= {{1'b1, data, 1'b0}}; idx <= 0; cnt <= 0;
            end
        end else if (cnt == {cb}'d{c - 1}) begin
            cnt <= 0;
            if (idx == 4'd9) busy <= 1'b0;
            else idx <= idx + 1'b1;
        end else begin
            cnt <= cnt + 1'b1;
        end
    end
endmodule
"""


def _tx_model(p: UartParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.levels: list[int] = []  # line level for each coming clock cycle

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"tx": self.levels[0] if self.levels else 1, "busy": int(bool(self.levels))}}

    def clock(self, ins: dict[str, int]) -> None:
        if self.levels:
            self.levels.pop(0)
        elif ins["start"]:
            bits = [0] + [ins["data"] >> k & 1 for k in range(8)] + [1]
            self.levels = [b for b in bits for _ in range({p.clks_per_bit})]
"""
    )


UART_TX = Generator(
    name="uart_tx",
    summary="UART transmitter, 8N1 LSB first, with busy (clks_per_bit)",
    params=UartParams,
    keywords=(r"\buart\b", r"\btransmit(ter)?\b|\btx\b", r"serial (transmit|output)", r"\b8n1\b"),
    extract=_uart_extract,
    required=("clks_per_bit",),
    ports=_tx_ports,
    rtl=_tx_rtl,
    model=_tx_model,
    aliases={
        "start": ("start", "send", "tx_start", "valid", "go", "wr"),
        "data": ("data", "din", "tx_data", "byte"),
        "tx": ("tx", "txd", "serial_out", "out"),
        "busy": ("busy", "tx_busy", "active"),
    },
)


def _rx_ports(p: UartParams) -> list[Port]:
    return [*clock_ports(p), inp("rx"), out("data", 8), out("valid")]


def _rx_rtl(p: UartParams, module: str) -> str:
    c, h = p.clks_per_bit, p.clks_per_bit // 2
    cb = clog2(c)
    return f"""module {module} (
    {decls(_rx_ports(p), ("data", "valid"))}
);
    // 8N1, LSB first, {c} clocks per bit; bits are sampled mid-bit; a bad stop bit drops the byte
    localparam IDLE = 2'd0, START = 2'd1, BITS = 2'd2, STOP = 2'd3;
    reg [1:0] state;
    reg [{cb - 1}:0] cnt;
    reg [2:0] idx;
    reg [7:0] shreg;
    {always_ff(p)} begin
        if ({reset_active(p)}) begin
            state <= IDLE; cnt <= 0; idx <= 0; shreg <= 0; data <= 0; valid <= 1'b0;
        end else begin
            // valid depends on the state, so it stays unknown until the first reset
            valid <= (state == STOP) && (cnt == {cb}'d{c - 1}) && rx;
            case (state)
                IDLE: if (!rx) begin state <= START; cnt <= 0; end
                START: if (cnt == {cb}'d{h - 1}) begin
                           cnt <= 0; idx <= 0;
                           state <= rx ? IDLE : BITS;
                       end else cnt <= cnt + 1'b1;
                BITS: if (cnt == {cb}'d{c - 1}) begin
                          cnt <= 0;
                          shreg[idx] <= rx;
                          if (idx == 3'd7) state <= STOP;
                          else idx <= idx + 1'b1;
                      end else cnt <= cnt + 1'b1;
                default: if (cnt == {cb}'d{c - 1}) begin
                             cnt <= 0; state <= IDLE;
                             if (rx) data <= shreg;
                         end else cnt <= cnt + 1'b1;
            endcase
        end
    end
endmodule
"""


def _rx_model(p: UartParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.data, self.valid = 0, 0
        self.listener = self._listen()
        next(self.listener)

    def _listen(self):  # type: ignore[no-untyped-def]
        # a coroutine: each value sent in is the line level at one clock edge
        while True:
            level = yield
            if level:
                continue
            for _ in range({p.clks_per_bit // 2}):
                level = yield
            if level:
                continue
            byte = 0
            for k in range(8):
                for _ in range({p.clks_per_bit}):
                    level = yield
                byte |= level << k
            for _ in range({p.clks_per_bit}):
                level = yield
            if level:
                self.data, self.valid = byte, 1

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"data": self.data, "valid": self.valid}}

    def clock(self, ins: dict[str, int]) -> None:
        self.valid = 0
        self.listener.send(ins["rx"] & 1)
"""
    )


UART_RX = Generator(
    name="uart_rx",
    summary="UART receiver, 8N1 LSB first, mid-bit sampling, one-cycle valid (clks_per_bit)",
    params=UartParams,
    keywords=(r"\buart\b", r"\breceive(r)?\b|\brx\b", r"serial (receive|input)", r"\b8n1\b"),
    extract=_uart_extract,
    required=("clks_per_bit",),
    ports=_rx_ports,
    rtl=_rx_rtl,
    model=_rx_model,
    aliases={
        "rx": ("rx", "rxd", "serial_in", "in"),
        "data": ("data", "dout", "rx_data", "byte", "q"),
        "valid": ("valid", "done", "rx_valid", "ready", "strobe"),
    },
)
