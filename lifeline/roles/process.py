"""How a role process runs: its jobs and API server until a signal, then a bounded stop.

- :func:`run_until_stopped` runs named jobs and the uvicorn server; any job ending ends
  all; a stop waits at most ``STOP_GRACE_S`` and logs a job that does not stop.
- :func:`api_server` is uvicorn without its own signal handlers (the role owns them).
- :class:`Closables` closes what a role opened, last opened first.
- :func:`start_child` starts a child process that dies with its parent (PDEATHSIG).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol, TypeVar

import uvicorn

from lifeline.settings import Settings

__all__ = [
    "STOP_GRACE_S",
    "ApiServer",
    "Children",
    "Closables",
    "api_server",
    "run_until_stopped",
    "start_child",
    "stop_on_signals",
]

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG: Final = 1


class ApiServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the role owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start_child(
    args: Sequence[str], log_name: str, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``python ARGS`` as a child process that dies with us (``env`` added to ours)."""
    process = subprocess.Popen(
        [sys.executable, *args],
        preexec_fn=_die_with_parent,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env} if env else None,
    )
    log.info("child_started", extra={"child": log_name, "pid": process.pid})
    return process


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def api_server(app: Any, settings: Settings, port: int | None = None) -> ApiServer:
    return ApiServer(
        uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port if port is None else port,
            log_config=None,
            access_log=False,
            # open live streams (SSE) would otherwise hold a stop for ever
            timeout_graceful_shutdown=3,
            lifespan="on",
        )
    )


class _Closable(Protocol):
    async def close(self) -> None: ...


_C = TypeVar("_C", bound=_Closable)


@dataclass
class Closables:
    """Things to close on the way out, last opened first."""

    items: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def add(self, close: Callable[[], Awaitable[None]]) -> None:
        self.items.append(close)

    def keep(self, thing: _C) -> _C:
        """Register ``thing.close`` and hand ``thing`` back (``x = closing.keep(Open())``)."""
        self.items.append(thing.close)
        return thing

    async def close(self) -> None:
        for close in reversed(self.items):
            with contextlib.suppress(Exception):
                await close()


def _awaiting(task: asyncio.Task[Any]) -> list[str]:
    """Where a task waits: its chain of awaited coroutines, innermost last."""
    chain: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None and len(chain) < 16:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is None:
            chain.append(type(awaited).__name__)
            break
        chain.append(f"{frame.f_code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return chain


STOP_GRACE_S: Final = 8.0  # a stop never waits longer for a job (systemd/docker allow 10 s)


async def run_until_stopped(
    stop: asyncio.Event,
    jobs: dict[str, Coroutine[Any, Any, None]],
    server: ApiServer | None = None,
    after_start: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Run ``jobs`` (and the API server) until a signal or until any job ends (a crash
    stops all); then cancel them all and wait at most ``STOP_GRACE_S`` seconds. A job
    still running after that is logged by name with where it waits, and left behind:
    the process exits anyway."""
    tasks = {asyncio.create_task(job, name=name): name for name, job in jobs.items()}
    if server is not None:
        tasks[asyncio.create_task(server.serve(), name="api")] = "api"
    stopping = asyncio.create_task(stop.wait(), name="signal")
    failed: BaseException | None = None
    try:
        if after_start is not None:
            await after_start()
        done, _ = await asyncio.wait([stopping, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in (t for t in tasks if t in done):
            if not task.cancelled() and task.exception() is not None:
                failed = task.exception()
                log.error("job_failed", extra={"job": tasks[task], "error": repr(failed)})
        log.info("lifeline_stopping")
    finally:
        stopping.cancel()
        if server is not None:
            server.should_exit = True
        for task, name in tasks.items():
            if name != "api":
                task.cancel()
        _, pending = await asyncio.wait(tasks, timeout=STOP_GRACE_S) if tasks else (set(), set())
        for task in pending:
            log.warning(
                "job_did_not_stop", extra={"job": tasks[task], "waiting_at": _awaiting(task)}
            )
    if failed is not None:
        raise failed


@dataclass
class Children:
    """The simulator child of ``lifeline up --simulate``, stopped on the way out."""

    simulator: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        child = self.simulator
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
