"""Hardware/software co-simulation: a Verilator model built as a shared library with a C API.

:func:`build_library` verilates an RTL design together with extra C sources (a software kernel
that drives the hardware through the API below) into ``libcosim.so``. :func:`run_driver` runs a
Python driver that loads it with cffi, inside the sandbox: the RTL and the kernel are generated,
so the library is never loaded into this process.

The C API every library exports (ports are numbered in declaration order, inputs and outputs
separately; values wider than 64 bits travel as little-endian 32-bit words)::

    void*    qm_new(void);                 void     qm_free(void* h);
    void     qm_set(void* h, int in, uint64_t v);
    uint64_t qm_get(void* h, int out);
    void     qm_set_words(void* h, int in, const uint32_t* w, int n);
    void     qm_get_words(void* h, int out, uint32_t* w, int n);
    void     qm_eval(void* h);              void     qm_tick(void* h);   /* one clock cycle */
    uint64_t qm_cycles(void* h);
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from tools.errors import QimengError
from tools.hdl._toolchain import python_tool, run_tool, verilator
from tools.hdl.ports import DesignInfo, Port
from tools.settings import get_settings

API_HEADER = """#include <stdint.h>
void* qm_new(void); void qm_free(void* h);
void qm_set(void* h, int in, uint64_t v); uint64_t qm_get(void* h, int out);
void qm_set_words(void* h, int in, const uint32_t* w, int n);
void qm_get_words(void* h, int out, uint32_t* w, int n);
void qm_eval(void* h); void qm_tick(void* h); uint64_t qm_cycles(void* h);
"""


_CDEF = API_HEADER.replace("#include <stdint.h>\n", "")


class CosimError(QimengError):
    """The co-simulation library could not be built or the driver failed."""


class CosimLibrary(BaseModel):
    """A built co-simulation library."""

    path: Path = Field(description="The shared library.")
    top: str
    inputs: list[str] = Field(description="Input port names, in API order.")
    outputs: list[str] = Field(description="Output port names, in API order.")
    clock: str | None = None
    tool: str = Field(description="Verilator version that built it.")


_WRAPPER = """#include "V{top}.h"
#include "verilated.h"
#include <stdint.h>
struct QM {{ VerilatedContext ctx; V{top}* m; uint64_t cycles; }};
extern "C" {{
void* qm_new(void) {{ QM* q = new QM(); q->m = new V{top}(&q->ctx); q->cycles = 0; return q; }}
void qm_free(void* h) {{ QM* q = (QM*)h; q->m->final(); delete q->m; delete q; }}
void qm_eval(void* h) {{ ((QM*)h)->m->eval(); }}
uint64_t qm_cycles(void* h) {{ return ((QM*)h)->cycles; }}
void qm_tick(void* h) {{ QM* q = (QM*)h; {tick} q->cycles++; }}
void qm_set(void* h, int in, uint64_t v) {{ auto* m = ((QM*)h)->m; (void)m; (void)v;
  switch (in) {{
{set_cases}
    default: break; }} }}
uint64_t qm_get(void* h, int out) {{ auto* m = ((QM*)h)->m; (void)m;
  switch (out) {{
{get_cases}
    default: break; }}
  return 0; }}
void qm_set_words(void* h, int in, const uint32_t* w, int n) {{ auto* m = ((QM*)h)->m; (void)m; (void)w; (void)n;
  switch (in) {{
{set_word_cases}
    default: break; }} }}
void qm_get_words(void* h, int out, uint32_t* w, int n) {{ auto* m = ((QM*)h)->m; (void)m; (void)w; (void)n;
  switch (out) {{
{get_word_cases}
    default: break; }} }}
}}
"""


def _wrapper(info: DesignInfo, clock: str | None) -> str:
    """C++ glue from the C API to the Verilated class (narrow ports as integers, wide as words)."""
    ins = [p for p in info.inputs if p.name != clock]
    outs = info.outputs

    def cases(ports: list[Port], stmt: Callable[[Port], str]) -> str:
        # Indexes follow declaration order over all ports, so narrow and wide calls agree.
        return "\n".join(f"    case {i}: {{ {stmt(p)} }} break;" for i, p in enumerate(ports) if stmt(p))

    def set_words(p: Port) -> str:
        if p.width > 64:
            return f"for (int i = 0; i < n; i++) m->{p.name}[i] = w[i];"
        return f"m->{p.name} = w[0] | (n > 1 ? ((uint64_t)w[1] << 32) : 0);"

    def get_words(p: Port) -> str:
        if p.width > 64:
            return f"for (int i = 0; i < n; i++) w[i] = m->{p.name}[i];"
        return f"uint64_t v = m->{p.name}; w[0] = (uint32_t)v; if (n > 1) w[1] = (uint32_t)(v >> 32);"

    tick = f"q->m->{clock} = 0; q->m->eval(); q->m->{clock} = 1; q->m->eval();" if clock else "q->m->eval();"
    return _WRAPPER.format(
        top=info.top,
        tick=tick,
        set_cases=cases(ins, lambda p: f"m->{p.name} = v;" if p.width <= 64 else ""),
        get_cases=cases(outs, lambda p: f"return m->{p.name};" if p.width <= 64 else ""),
        set_word_cases=cases(ins, set_words),
        get_word_cases=cases(outs, get_words),
    )


def build_library(
    rtl: str, info: DesignInfo, workdir: Path, c_sources: dict[str, str], *, wall_s: float = 300.0
) -> CosimLibrary:
    """Verilate ``rtl`` (top ``info.top``) with ``c_sources`` into a shared library in ``workdir``.

    ``c_sources`` maps file names to C text; they may ``#include "qm_api.h"`` for the API. They are
    compiled by the C++ compiler with C linkage, so write C that is also valid C++.

    Raises:
        CosimError: with Verilator's or the compiler's first error lines when the build fails.
    """
    clock = info.clocks[0] if info.clocks else None
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "design.v").write_text(rtl)
    (workdir / "qm_api.h").write_text(API_HEADER)
    (workdir / "qm_wrapper.cpp").write_text(_wrapper(info, clock))
    units = []
    for name, text in c_sources.items():
        (workdir / name).write_text(text)
        # Verilator compiles with the C++ compiler: give the kernel's functions C linkage.
        unit = f"qm_unit_{Path(name).stem}.cpp"
        (workdir / unit).write_text(f'extern "C" {{\n#include "{name}"\n}}\n')
        units.append(unit)
    tool = verilator()
    args = ["--cc", "design.v", "--top-module", info.top, "--exe", "qm_wrapper.cpp", *units]
    args += [
        "-Wno-fatal",
        "-Wno-lint",
        "-Wno-style",
        "--Mdir",
        "obj",
        "-o",
        "libcosim.so",
        "--build",
        "-j",
        "2",
    ]
    args += ["-CFLAGS", "-fPIC -O1", "-LDFLAGS", "-shared", "-CFLAGS", f"-I{workdir.resolve()}"]
    # Verilator's makefiles run python3 (or plain python): give them ours, bound in with the venv.
    env = {"PYTHON3": sys.executable, "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"}
    rw: list[Path] = []
    if shutil.which("ccache"):
        cache = (get_settings().run_dir / ".cache" / "ccache").resolve()
        cache.mkdir(parents=True, exist_ok=True)
        env |= {"OBJCACHE": "ccache", "CCACHE_DIR": str(cache)}
        rw.append(cache)
    res = run_tool(tool, args, workdir, wall_s=wall_s, env=env, rw_binds=rw)
    lib = (workdir / "obj" / "libcosim.so").resolve()
    (workdir / "build.log").write_text(res.stdout + res.stderr)
    if res.exit_code != 0 or not lib.is_file():
        errors = [ln for ln in (res.stderr + res.stdout).splitlines() if "rror" in ln][:8]
        raise CosimError(
            f"co-simulation build failed ({res.describe()}): " + " | ".join(errors or [res.stderr[-400:]])
        )
    ins = [p.name for p in info.inputs if p.name != clock]
    return CosimLibrary(
        path=lib,
        top=info.top,
        inputs=ins,
        outputs=[p.name for p in info.outputs],
        clock=clock,
        tool=tool.label,
    )


def run_driver(
    lib: CosimLibrary, driver: str, args: dict[str, object], *, wall_s: float = 120.0
) -> dict[str, object]:
    """Run a Python ``driver`` source in the sandbox next to the library and return its result.

    The driver defines ``main(lib_path: str, cdef: str, args: dict) -> dict``: ``lib_path`` is the
    library, ``cdef`` the API declarations for cffi, ``args`` is ``args``; what it returns must be
    JSON-serialisable.

    Raises:
        CosimError: when the driver fails, naming how it ended and its last error line.
    """
    work = lib.path.parent.parent
    (work / "driver.py").write_text(driver)
    (work / "driver_args.json").write_text(json.dumps({"lib": str(lib.path), "cdef": _CDEF, "args": args}))
    launcher = (
        "import json, runpy\n"
        "given = json.load(open('driver_args.json'))\n"
        "main = runpy.run_path('driver.py')['main']\n"
        "json.dump(main(given['lib'], given['cdef'], given['args']), open('result.json', 'w'))\n"
    )
    res = run_tool(python_tool(), ["-c", launcher], work, wall_s=wall_s)
    out = work / "result.json"
    if res.exit_code != 0 or not out.is_file():
        last = (res.stderr.strip().splitlines() or ["no output"])[-1]
        raise CosimError(f"co-simulation driver failed ({res.describe()}): {last}")
    result: dict[str, object] = json.loads(out.read_text())
    out.unlink()
    return result
