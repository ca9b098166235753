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
