"""The one settings object: environment variables ``QIMENG_*`` over an optional ``qimeng.toml``.

Precedence, highest first: keyword arguments, environment variables, the TOML file
(``$QIMENG_CONFIG``, else ``./qimeng.toml`` when it exists), the defaults below.
Nested fields use ``__`` in environment names: ``QIMENG_SANDBOX__WALL_S=30``.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from tools.errors import UsageError


class ConfigError(UsageError):
    """A user's configuration is wrong; the message says what and how to fix it."""


class SandboxLimits(BaseModel):
    """Resource limits for one sandboxed run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wall_s: float = Field(60.0, gt=0, description="Wall-clock limit in seconds.")
    cpu_s: int = Field(60, gt=0, description="CPU-time limit in seconds (RLIMIT_CPU).")
    memory_mb: int = Field(4096, gt=16, description="Address-space limit in MiB (RLIMIT_AS).")
    nproc: int = Field(256, gt=0, description="Processes and threads of one run's uid (RLIMIT_NPROC).")
    fsize_mb: int = Field(512, gt=0, description="Largest file the program may write, MiB (RLIMIT_FSIZE).")
    nofile: int = Field(1024, gt=8, description="Open file descriptors (RLIMIT_NOFILE).")
    output_kb: int = Field(256, gt=0, description="Stdout and stderr are each cut to this many KiB.")
    uid: int = Field(
        1879048192,
        gt=0,
        description="First uid of the sandbox's range (and the range's group); each concurrent run takes "
        "a uid of its own from [uid, uid + uid_slots). Default 0x70000000, a range systems leave unused.",
    )
    uid_slots: int = Field(
        64, ge=1, description="How many uids the range has: sandboxed runs at once on this machine."
    )


class Settings(BaseSettings):
    """Everything a user can configure. Each field documents itself; README lists them."""

    model_config = SettingsConfigDict(
        env_prefix="QIMENG_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    llm_base_url: str | None = Field(
        None,
        description="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1. Unset: offline designer.",
    )
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the endpoint.")
    llm_api_key: str = Field("not-needed", description="API key for the endpoint (local servers ignore it).")
    llm_timeout_s: float = Field(60.0, gt=0, description="Per-request timeout in seconds.")
    llm_max_retries: int = Field(3, ge=0, description="Retries on 429, 5xx and connection errors.")
    llm_tokens_per_day: int = Field(
        0, ge=0, description="Daily LLM token budget the budget-burn alert compares spending with (0: none)."
    )
    run_dir: Path = Field(Path("runs"), description="Where every command writes its artifacts.")
    check_max_cycles: int = Field(
        50_000,
        ge=1,
        description="Most simulated cycles per seed of a differential check (cycles x sequences).",
    )
    check_max_seeds: int = Field(16, ge=1, description="Most seeds of a differential check.")
    ray_address: str | None = Field(
        None,
        description="Ray cluster address for campaigns and for design sessions' tool calls (like "
        "--cluster); unset: campaigns start a local Ray, sessions run their tools in-process.",
    )
    chroma_path: Path | None = Field(
        None, description="Embedded ChromaDB directory (default: <run_dir>/chroma)."
    )
    chroma_host: str | None = Field(None, description="Chroma server host; set to use a server instead.")
    verilog_eval_dir: Path | None = Field(
        None,
        description="VerilogEval v2 dataset folder (dataset_spec-to-rtl of github.com/NVlabs/verilog-eval): "
        "the default of --data for 'eval verilog-eval' and 'eval mutants', and of a verilog-eval "
        "campaign that names no data.",
    )
    chroma_port: int = Field(8000, gt=0, lt=65536, description="Chroma server port.")
    kb_search_url: str | None = Field(
        None,
        description="A running 'qimeng kb serve' search service (http://HOST:PORT); set, 'qimeng kb "
        "search' asks it instead of loading the embedding model and the store in every call.",
    )
    use_knowledge: bool = Field(
        True, description="Consult the knowledge base while designing and remember verified designs."
    )
    metrics_port: int = Field(9464, ge=0, lt=65536, description="Port for /metrics of long-lived processes.")
    otlp_endpoint: str | None = Field(
        None,
        description="OTLP/HTTP traces endpoint, e.g. http://localhost:4318/v1/traces; unset: no traces.",
    )
    sandbox: SandboxLimits = Field(default_factory=lambda: SandboxLimits(), description="Sandbox limits.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))


class _TomlSource(PydanticBaseSettingsSource):
    """Reads ``qimeng.toml``; a malformed file is a ConfigError naming the file and line."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self._data = _read_toml(config_path())

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


def config_path() -> Path | None:
    """The TOML file in force: ``$QIMENG_CONFIG`` if set (must exist), else ``./qimeng.toml`` if present."""
    explicit = os.environ.get("QIMENG_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(
                f"QIMENG_CONFIG points to {path}, which is not a file; unset it or create the file"
            )
        return path
    local = Path("qimeng.toml")
    return local if local.is_file() else None


def _read_toml(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None


def load_settings(**overrides: Any) -> Settings:
    """Build settings from keyword overrides, environment and TOML.

    Raises:
        ConfigError: on unknown keys, unknown ``QIMENG_*`` environment variables (naming the closest
            setting) or bad values, naming each and what is allowed.
    """
    _check_environment(os.environ)
    try:
        settings = Settings(**overrides)
    except SettingsError as exc:
        cause = f": {exc.__cause__}" if exc.__cause__ else ""
        raise ConfigError(f"{exc}{cause}; nested settings take JSON or QIMENG_<FIELD>__<KEY>") from None
    except ValidationError as exc:
        known = ", ".join(sorted(Settings.model_fields))
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                problems.append(f"unknown setting '{where}' (known settings: {known})")
            else:
                problems.append(f"setting '{where}': {err['msg']}")
        raise ConfigError("; ".join(problems)) from None
    if settings.run_dir.exists() and not settings.run_dir.is_dir():
        raise ConfigError(
            f"run_dir {settings.run_dir} is a file; set QIMENG_RUN_DIR (or run_dir in qimeng.toml) to a directory"
        )
    return settings


ENV_PREFIX = "QIMENG_"
NOT_SETTINGS = ("QIMENG_CONFIG",)
"""Environment variables with the prefix that are not settings fields."""


def environment_names() -> dict[str, list[str]]:
    """Every accepted ``QIMENG_*`` variable, grouped by what it configures ('' for top-level)."""
    groups: dict[str, list[str]] = {"": [*NOT_SETTINGS]}
    for name, info in Settings.model_fields.items():
        groups[""].append(ENV_PREFIX + name.upper())
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            groups[name] = [f"{ENV_PREFIX}{name.upper()}__{sub.upper()}" for sub in kind.model_fields]
    return groups


def _check_environment(environ: Any) -> None:
    """Raise ConfigError for a ``QIMENG_*`` variable that configures nothing (a typo is not ignored)."""
    groups = environment_names()
    known = {n for names in groups.values() for n in names}
    problems = []
    for var in sorted(environ):
        upper = var.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known:
            continue
        group = upper[len(ENV_PREFIX) :].split("__", 1)[0].lower() if "__" in upper else ""
        names = groups.get(group, groups[""])
        rest = upper[len(ENV_PREFIX) :]
        if group in groups and group:
            keys = {n.rsplit("__", 1)[1]: n for n in names}
            close = difflib.get_close_matches(rest.split("__", 1)[1], sorted(keys), n=1, cutoff=0.75)
            close = [keys[c] for c in close]
        else:
            close = difflib.get_close_matches(upper, sorted(known), n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]}?" if close else ""
        what = f"{group} settings" if group in groups and group else "settings"
        problems.append(f"unknown environment variable {var}{hint} (known {what}: {', '.join(names)})")
    if problems:
        raise ConfigError("; ".join(problems))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once. Tests build their own with :func:`load_settings`."""
    return load_settings()
