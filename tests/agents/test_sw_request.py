"""Design requests map to kernels and shapes; bad requests say what is allowed."""

from __future__ import annotations

import pytest

from agents.sw.request import parse_request
from agents.sw.specs import kernel_spec
from tools.errors import UsageError


@pytest.mark.parametrize(
    ("text", "kernel", "dims"),
    [
        ("gemm 512x512x512 fp32", "gemm", {"M": 512, "N": 512, "K": 512}),
        ("SGEMM 1024 fp32", "gemm", {"M": 1024, "N": 1024, "K": 1024}),
        ("softmax rows=64 cols=1000", "softmax", {"rows": 64, "cols": 1000}),
        ("Focal Split depth on 360x480 frames", "focal_split", {"H": 360, "W": 480}),
        ("wavefront psf n=128", "psf", {"n": 128}),
        ("layer norm 64x768", "layernorm", {"rows": 64, "cols": 768}),
        (
            "conv2d C=3 H=32 W=32 F=8 KH=3 KW=3",
            "conv2d",
            {"C": 3, "H": 32, "W": 32, "F": 8, "KH": 3, "KW": 3},
        ),
    ],
)
def test_requests_map_to_kernels_and_shapes(text: str, kernel: str, dims: dict[str, int]) -> None:
    request = parse_request(text)
    assert (request.kernel, request.dims) == (kernel, dims)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gemm 64 fp16", "data type fp16 is not implemented; the template library is fp32 only"),
        ("make it fast", "no kernel named in 'make it fast'; name one of: attention, conv2d"),
        ("gemm 1x2x3x4", "'1x2x3x4' gives 4 sizes but gemm has 3: M x N x K"),
        ("softmax q=3", "softmax has no dimension 'q'; dimensions: rows, cols"),
    ],
)
def test_bad_requests_say_what_is_allowed(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_request(text)
    assert message in str(info.value)


def test_specs_reject_shapes_the_kernel_cannot_take() -> None:
    with pytest.raises(UsageError, match="psf size n=100 must be a power of two"):
        kernel_spec("psf", {"n": 100})
    with pytest.raises(UsageError, match="conv2d filter 5x5 is larger than the image 4x4"):
        kernel_spec("conv2d", {"H": 4, "W": 4, "KH": 5, "KW": 5})


def test_cheap_requested_shape_is_checked_and_timed() -> None:
    spec = kernel_spec("gemm", {"M": 40, "N": 30, "K": 20})
    assert {"M": 40, "N": 30, "K": 20} in spec.shapes
    assert spec.bench_shapes == [{"M": 40, "N": 30, "K": 20}]
    big = kernel_spec("gemm", {"M": 1024, "N": 1024, "K": 1024}, emulated=True)
    assert {"M": 1024, "N": 1024, "K": 1024} not in big.shapes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gemm -5x4x3", "dimension M=-5 of gemm must be a whole number >= 1"),
        ("gemm 4x0x3", "dimension N=0 of gemm must be a whole number >= 1"),
        ("softmax rows=-2 cols=8", "dimension rows=-2 of softmax must be a whole number >= 1"),
        (
            "gemm 64 then 128",
            "the sizes '64' and '128' leave their order open; write them as one MxNxK group",
        ),
        ("gemm 64 with 8 threads", "gemm: '8 threads' is not one of its sizes (M, N, K)"),
        ("gemm 2x4x2 on the 4-lane accelerator", "gemm: '4-lane' is not one of its sizes"),
        (
            "column-major gemm 64x64x64",
            "gemm: the request asks for 'column-major'; the templates implement row-major",
        ),
        ("gemm 64x64x64 with A transposed", "the templates implement C = A x B without transposed operands"),
        ("softmax 8x16 along columns", "reductions along each row (the last axis) only"),
        ("conv2d 3x32x32x8x3x3 with padding 1", "'valid' convolution with stride 1 only"),
        ("causal attention 16x16x8", "unmasked attention only"),
    ],
)
def test_requests_the_templates_would_misread_are_refused(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_request(text)
    assert message in str(info.value)


def test_the_interpretation_says_what_was_read_and_what_was_assumed() -> None:
    req = parse_request("softmax over 64 rows of 1000 cols")
    assert req.dims == {"rows": 64, "cols": 1000}
    assert req.interpretation is not None
    by_name = {r.name: r for r in req.interpretation.readings}
    assert (by_name["rows"].source, by_name["rows"].words) == ("text", "64 rows")
    assert by_name["dtype"].source == "assumed" and by_name["layout"].source == "assumed"
    assert req.interpretation.summary() == (
        "interpreted as: kernel softmax; rows 64; cols 1000; dtype f32 (assumed); layout row-major (assumed);"
        " axis each row (assumed)"
    )
    sgemm = parse_request("SGEMM 32 row-major, C = A x B")
    assert sgemm.interpretation is not None
    assert "(assumed)" not in sgemm.interpretation.summary()
    rows = parse_request("softmax 8x16 row-wise")
    assert rows.interpretation is not None and rows.interpretation.readings[-1].words == "row-wise"
    short = parse_request("gemm 8")
    assert short.interpretation is not None and [r.value for r in short.interpretation.readings[1:4]] == [
        8,
        8,
        8,
    ]
