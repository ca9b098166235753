"""Ray token authentication for a driver that connects to a running cluster.

The token is found as Ray's own CLI finds it (``ray get-auth-token``): ``RAY_AUTH_TOKEN``, else the
file named by ``RAY_AUTH_TOKEN_PATH``, else ``~/.ray/auth_token``. Ray itself sends it on
``ray.init(address=HOST:PORT)`` only when ``RAY_AUTH_MODE=token`` is set; without it a driver of a
token cluster retries for twenty seconds, printing a C++ warning a second, and then fails with
"Failed to connect". :func:`prepare_driver` asks the cluster first (one gRPC call to its GCS, the
call Ray's own client starts with): when it wants a token and one is found, it sets token mode for
this process (and its children, as Ray does for a cluster it finds itself); when none is found, or
the cluster refuses it, the user gets one line saying what to set.
"""

from __future__ import annotations

import logging
import os

import grpc
import ray.exceptions

from tools.errors import QimengError, UsageError

AUTH_MODE = "RAY_AUTH_MODE"
PROBE_TIMEOUT_S = 5.0
_HOW = "'ray get-auth-token' on the head prints it"


def auth_token() -> tuple[str | None, str]:
    """The Ray token this process would use, looked up by Ray's own loader, and where it came from.

    Raises:
        QimengError: ``RAY_AUTH_TOKEN_PATH`` names a file that cannot be read.
    """
    from ray._raylet import AuthenticationTokenLoader  # type: ignore[attr-defined]  # no stub in Ray

    if os.environ.get("RAY_AUTH_TOKEN"):
        source = "RAY_AUTH_TOKEN"
    elif os.environ.get("RAY_AUTH_TOKEN_PATH"):
        source = f"RAY_AUTH_TOKEN_PATH={os.environ['RAY_AUTH_TOKEN_PATH']}"
    else:
        source = "~/.ray/auth_token"
    loader = AuthenticationTokenLoader.instance()
    try:
        if not loader.has_token(ignore_auth_mode=True):
            return None, source
        return str(loader.get_raw_token(ignore_auth_mode=True)), source
    except ray.exceptions.AuthenticationError as exc:
        raise QimengError(str(exc).split(". ")[0]) from None


def gcs_accepts(gcs_address: str, token: str | None) -> bool | None:
    """Whether the GCS at ``gcs_address`` (HOST:PORT) answers a call carrying ``token`` (None: no token).

    Returns None when the answer says nothing about tokens (no GCS there, a timeout): the caller
    leaves that to ``ray.init``, which reports it in its own words.
    """
    from ray.core.generated import gcs_service_pb2, gcs_service_pb2_grpc

    metadata = [("authorization", f"Bearer {token}")] if token else []
    with grpc.insecure_channel(gcs_address) as channel:
        stub = gcs_service_pb2_grpc.NodeInfoGcsServiceStub(channel)
        try:
            stub.GetClusterId(
                gcs_service_pb2.GetClusterIdRequest(), timeout=PROBE_TIMEOUT_S, metadata=metadata
            )
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:  # type: ignore[attr-defined]
                return False
            return None
    return True


def gcs_address_of(address: str) -> str | None:
    """The GCS HOST:PORT a driver given ``address`` connects to; None for Ray Client (``ray://``)
    addresses and for ``auto`` when no cluster is recorded on this machine."""
    if address.startswith("ray://"):
        return None
    if address != "auto":
        return address
    from ray._private.services import canonicalize_bootstrap_address

    log = logging.getLogger("ray._private.services")
    level = log.level
    log.setLevel(logging.ERROR)  # its notice on several clusters comes again from ray.init, once is enough
    try:
        found: str | None = canonicalize_bootstrap_address(address)
        return found
    except (ConnectionError, ValueError):
        return None
    finally:
        log.setLevel(level)


def prepare_driver(address: str) -> None:
    """Make ``ray.init(address=address)`` send the token when the cluster needs one.

    A cluster without token authentication is left alone. ``RAY_AUTH_MODE`` set here is respected:
    only when it is unset does this turn token mode on (``RAY_AUTH_MODE=token`` in this process).

    Raises:
        UsageError: the cluster needs a token and none is found, the one found is refused, or
            ``RAY_AUTH_MODE`` here turns tokens off.
        QimengError: ``RAY_AUTH_TOKEN_PATH`` names a file that cannot be read.
    """
    gcs = gcs_address_of(address)
    if gcs is None or gcs_accepts(gcs, None) is not False:
        return
    if gcs != address:
        address = f"{gcs} ('{address}')"
    mode = os.environ.get(AUTH_MODE)
    if mode is not None and mode.lower() != "token":
        raise UsageError(
            f"the Ray cluster at {address} needs a token but {AUTH_MODE}={mode} here; unset it "
            f"or set {AUTH_MODE}=token"
        )
    token, source = auth_token()
    if token is None:
        raise UsageError(
            f"the Ray cluster at {address} needs a token and none was found: set RAY_AUTH_TOKEN, "
            f"point RAY_AUTH_TOKEN_PATH at a file holding it, or write it to ~/.ray/auth_token ({_HOW})"
        )
    if gcs_accepts(gcs, token) is False:
        raise UsageError(
            f"the Ray cluster at {address} refused the token from {source}; use the cluster's token ({_HOW})"
        )
    if mode is None:
        from ray._raylet import Config  # type: ignore[attr-defined]  # no stub in Ray

        os.environ[AUTH_MODE] = "token"
        Config.initialize("")  # Ray caches its config: refresh it, as Ray does when it turns tokens on
