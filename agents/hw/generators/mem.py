"""Storage generators: synchronous FIFO, register file, single-port RAM (all cleared by reset)."""

from __future__ import annotations

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
    read_width,
    reset_active,
)
from agents.hw.interface import Port

_DEPTH = (
    r"\bdepth\s*(?:of|=|:)?\s*(\d+)",
    r"\b(\d+)[\s-]*(?:entries|entry|words?|deep|registers|locations)\b",
    r"\b(\d+)\s*x\s*\d+",
)


def _common(text: str) -> Found:
    found = Found()
    read_reset(found, text)
    if read_width(found, text) is None:
        read_int(found, "width", text, (r"\b\d+\s*x\s*(\d+)",))
    read_int(found, "depth", text, _DEPTH)
    return found


def _ident(w: int) -> int:
    return w


class FifoParams(SeqParams):
    width: int = Field(8, ge=1, le=64, description="Data width.")
    depth: int = Field(8, ge=2, le=256, description="Entries; a power of two.")

    @field_validator("depth")
    @classmethod
    def _pow2(cls, v: int) -> int:
        if v & (v - 1):
            raise ValueError(f"depth must be a power of two (2, 4, ..., 256), got {v}")
        return v


def _fifo_ports(p: FifoParams) -> list[Port]:
    return [
        *clock_ports(p),
        inp("wr_en"),
        inp("din", p.width),
        inp("rd_en"),
        out("dout", p.width),
        out("full"),
        out("empty"),
    ]


def _fifo_rtl(p: FifoParams, module: str) -> str:
    a = clog2(p.depth)
    return f"""module {module} (
    {decls(_fifo_ports(p))}
);
    // first-word fall-through: dout shows the oldest entry (0 when empty);
    // a write when full and a read when empty are ignored
    reg [{p.width - 1}:0] mem [0:{p.depth - 1}];
    reg [{a}:0] wp, rp;
    wire do_wr = wr_en && !full;
    wire do_rd = rd_en && !empty;
    assign empty = (wp == rp);
    assign full = (wp[{a - 1}:0] == rp[{a - 1}:0]) && (wp[{a}] != rp[{a}]);
    assign dout = empty ? {p.width}'d0 : mem[rp[{a - 1}:0]];
    {always_ff(p)} begin
        if ({reset_active(p)}) begin
            wp <= 0;
            rp <= 0;
        end else begin
            if (do_wr) begin
                mem[wp[{a - 1}:0]] <= din;
                wp <= wp + 1'b1;
            end
            if (do_rd) rp <= rp + 1'b1;
        end
    end
endmodule
"""


def _fifo_model(p: FifoParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.queue: list[int] = []

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{
            "dout": self.queue[0] if self.queue else 0,
            "full": int(len(self.queue) == {p.depth}),
            "empty": int(not self.queue),
        }}

    def clock(self, ins: dict[str, int]) -> None:
        was_full, was_empty = len(self.queue) == {p.depth}, not self.queue
        if ins["rd_en"] and not was_empty:
            self.queue.pop(0)
        if ins["wr_en"] and not was_full:
            self.queue.append(ins["din"])
"""
    )


FIFO = Generator(
    name="fifo",
    summary="Synchronous first-word-fall-through FIFO with full/empty (width, depth)",
    params=FifoParams,
    keywords=(r"\bfifo\b", r"first[\s-]*in[\s,-]*first[\s-]*out", r"\bqueue\b"),
    extract=_common,
    required=("width", "depth"),
    ports=_fifo_ports,
    rtl=_fifo_rtl,
    model=_fifo_model,
    aliases={
        "wr_en": ("wr_en", "we", "wr", "write", "push", "wen"),
        "din": ("din", "wdata", "data_in", "d", "in", "wr_data"),
        "rd_en": ("rd_en", "re", "rd", "read", "pop", "ren"),
        "dout": ("dout", "rdata", "data_out", "q", "out", "rd_data"),
        "full": ("full",),
        "empty": ("empty",),
    },
    width_params={"din": ("width", _ident)},
)


class RegFileParams(SeqParams):
    width: int = Field(8, ge=1, le=64, description="Register width.")
    depth: int = Field(8, ge=2, le=64, description="Number of registers.")


def _rf_ports(p: RegFileParams) -> list[Port]:
    a = clog2(p.depth)
    return [
        *clock_ports(p),
        inp("we"),
        inp("waddr", a),
        inp("wdata", p.width),
        inp("raddr1", a),
        inp("raddr2", a),
        out("rdata1", p.width),
        out("rdata2", p.width),
    ]


def _rf_rtl(p: RegFileParams, module: str) -> str:
    a = clog2(p.depth)
    return f"""module {module} (
    {decls(_rf_ports(p))}
);
    // two combinational read ports (old value during a write), one write port; reset clears all
    reg [{p.width - 1}:0] regs [0:{p.depth - 1}];
    integer i;
    assign rdata1 = ({{1'b0, raddr1}} < {a + 1}'d{p.depth}) ? regs[raddr1] : {p.width}'d0;
    assign rdata2 = ({{1'b0, raddr2}} < {a + 1}'d{p.depth}) ? regs[raddr2] : {p.width}'d0;
    {always_ff(p)} begin
        if ({reset_active(p)}) begin
            for (i = 0; i < {p.depth}; i = i + 1) regs[i] <= 0;
        end else if (we && {{1'b0, waddr}} < {a + 1}'d{p.depth}) begin
            regs[waddr] <= wdata;
        end
    end
endmodule
"""


def _rf_model(p: RegFileParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.regs = dict.fromkeys(range({p.depth}), 0)

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"rdata1": self.regs.get(ins["raddr1"], 0), "rdata2": self.regs.get(ins["raddr2"], 0)}}

    def clock(self, ins: dict[str, int]) -> None:
        if ins["we"] and ins["waddr"] in self.regs:
            self.regs[ins["waddr"]] = ins["wdata"]
"""
    )


REGFILE = Generator(
    name="regfile",
    summary="Register file: 2 combinational read ports, 1 write port, cleared by reset (width, depth)",
    params=RegFileParams,
    keywords=(r"register[\s-]*file", r"\bregfile\b", r"\brf\b", r"read ports?"),
    extract=_common,
    required=("width", "depth"),
    ports=_rf_ports,
    rtl=_rf_rtl,
    model=_rf_model,
    aliases={
        "we": ("we", "wen", "wr_en", "write_en"),
        "waddr": ("waddr", "wa", "rd", "wr_addr"),
        "wdata": ("wdata", "wd", "wr_data", "din"),
        "raddr1": ("raddr1", "ra1", "rs1", "raddr_a", "ra"),
        "raddr2": ("raddr2", "ra2", "rs2", "raddr_b", "rb"),
        "rdata1": ("rdata1", "rd1", "rdata_a", "q1", "qa"),
        "rdata2": ("rdata2", "rd2", "rdata_b", "q2", "qb"),
    },
    width_params={"wdata": ("width", _ident)},
)


class RamParams(SeqParams):
    width: int = Field(8, ge=1, le=64, description="Word width.")
    depth: int = Field(16, ge=2, le=256, description="Words.")


def _ram_ports(p: RamParams) -> list[Port]:
    return [
        *clock_ports(p),
        inp("we"),
        inp("addr", clog2(p.depth)),
        inp("din", p.width),
        out("dout", p.width),
    ]


def _ram_rtl(p: RamParams, module: str) -> str:
    a = clog2(p.depth)
    return f"""module {module} (
    {decls(_ram_ports(p), ("dout",))}
);
    // single port, synchronous read of the old word (read-first); reset clears words and dout
    reg [{p.width - 1}:0] mem [0:{p.depth - 1}];
    integer i;
    {always_ff(p)} begin
        if ({reset_active(p)}) begin
            for (i = 0; i < {p.depth}; i = i + 1) mem[i] <= 0;
            dout <= 0;
        end else begin
            dout <= ({{1'b0, addr}} < {a + 1}'d{p.depth}) ? mem[addr] : {p.width}'d0;
            if (we && {{1'b0, addr}} < {a + 1}'d{p.depth}) mem[addr] <= din;
        end
    end
endmodule
"""


def _ram_model(p: RamParams) -> str:
    return (
        SEQ_HEAD
        + f"""
    def reset(self) -> None:
        self.words = [0] * {p.depth}
        self.read = 0

    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        return {{"dout": self.read}}

    def clock(self, ins: dict[str, int]) -> None:
        addr = ins["addr"]
        valid = addr < len(self.words)
        self.read = self.words[addr] if valid else 0
        if ins["we"] and valid:
            self.words[addr] = ins["din"]
"""
    )


RAM = Generator(
    name="ram",
    summary="Single-port RAM with synchronous read-first output, cleared by reset (width, depth)",
    params=RamParams,
    keywords=(r"\bram\b", r"\bmemory\b", r"\bsram\b"),
    extract=_common,
    required=("width", "depth"),
    ports=_ram_ports,
    rtl=_ram_rtl,
    model=_ram_model,
    aliases={
        "we": ("we", "wen", "wr_en", "write_en"),
        "addr": ("addr", "address", "a"),
        "din": ("din", "wdata", "d", "data_in"),
        "dout": ("dout", "rdata", "q", "data_out"),
    },
    width_params={"din": ("width", _ident)},
)
