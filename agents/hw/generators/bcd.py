"""Binary to BCD (binary-coded decimal) conversion: the decimal digits of an unsigned binary
number, 4 bits each, ones digit in bcd[3:0]. The RTL is the shift-and-add-3 ('double dabble')
network; the model formats the number in decimal.
"""

from __future__ import annotations

from pydantic import Field

from agents.hw.generators._base import COMB_HEAD, Found, Generator, Params, decls, inp, out, read_width
from agents.hw.interface import Port
from tools.errors import UsageError


class Bin2BcdParams(Params):
    width: int = Field(0, ge=0, le=64, description="Bits of the binary input (0: not stated).")
    digits: int = Field(0, ge=0, le=20, description="BCD digits out (0: as many as the largest input needs).")


def _needed(width: int) -> int:
    return len(str((1 << width) - 1))


def _digits(p: Bin2BcdParams) -> int:
    return p.digits or _needed(max(p.width, 1))


def _ports(p: Bin2BcdParams) -> list[Port]:
    return [inp("bin", max(p.width, 1)), out("bcd", 4 * _digits(p))]


def _rtl(p: Bin2BcdParams, module: str) -> str:
    if not p.width:
        raise UsageError("bin2bcd: the width of the binary input is not stated in the text or a header")
    d = _digits(p)
    if d < _needed(p.width):
        raise UsageError(
            f"bin2bcd: {d} BCD digits cannot hold {(1 << p.width) - 1}; {_needed(p.width)} are needed"
        )
    return f"""module {module} (
    {decls(_ports(p), ("bcd",))}
);
    // shift the binary number in from the right; before each shift, add 3 to every digit >= 5
    integer i, j;
    reg [{4 * d - 1}:0] acc;
    always @(*) begin
        acc = 0;
        for (i = {p.width - 1}; i >= 0; i = i - 1) begin
            for (j = 0; j < {d}; j = j + 1)
                if (acc[4 * j +: 4] >= 4'd5) acc[4 * j +: 4] = acc[4 * j +: 4] + 4'd3;
            acc = {{acc[{4 * d - 2}:0], bin[i]}};
        end
        bcd = acc;
    end
endmodule
"""


def _model(p: Bin2BcdParams) -> str:
    return (
        COMB_HEAD
        + f"""
    def outputs(self, ins: dict[str, int]) -> dict[str, int]:
        decimal = str(ins["bin"]).rjust({_digits(p)}, "0")
        return {{"bcd": int(decimal, 16)}}  # each decimal digit becomes one hex nibble
"""
    )


def _extract(text: str) -> Found:
    found = Found()
    read_width(found, text)
    return found


BIN2BCD = Generator(
    name="bin2bcd",
    summary="Binary to BCD converter (double dabble): unsigned input, 4-bit decimal digits out",
    params=Bin2BcdParams,
    keywords=(r"bin(?:ary)?[\s_-]*(?:2|to)[\s_-]*bcd", r"double[\s-]*dabble", r"\bto\s+bcd\b"),
    extract=_extract,
    ports=_ports,
    rtl=_rtl,
    model=_model,
    aliases={"bin": ("bin", "binary", "in", "b", "a", "data", "x"), "bcd": ("bcd", "out", "y", "dec", "q")},
    width_params={"bin": ("width", lambda w: w), "bcd": ("digits", lambda w: w // 4 if w % 4 == 0 else -1)},
    required=("width",),
)
