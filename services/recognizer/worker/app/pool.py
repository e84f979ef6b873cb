"""
Several engine processes behind one HTTP worker, so that one worker uses every core.

dlib holds the GIL for the whole detect/encode call, so threads cannot run two images at once;
processes can. Each pool process loads its own models (about 100 MB) once, at start-up.
"""
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_engine = None
_settings = None


def _watch_parent(parent: int) -> None:
    # A SIGKILLed worker cannot stop its pool; a pool process must not outlive it.
    while True:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(1)


def _init(settings_json: str, parent: int) -> None:
    global _engine, _settings
    from .config import Settings
    from .faces import FaceEngine

    _settings = Settings.model_validate_json(settings_json)
    _engine = FaceEngine()
    _engine.load()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _ready() -> int:
    return os.getpid()


def _analyze(*args: Any) -> dict[str, Any]:
    from .main import analyze

    return analyze(_engine, _settings, *args)


class EnginePool:
    """`processes` engine processes; analyze() runs one image on whichever is free."""

    def __init__(self, settings, processes: int) -> None:
        self.processes = processes
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            # spawn: a pool process inherits no sockets or locks from the server process
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(settings.model_dump_json(), os.getpid()),
        )

    def start(self) -> None:
        """Blocks until every process has loaded its models."""
        pids = {f.result() for f in [self._executor.submit(_ready) for _ in range(self.processes * 2)]}
        if not pids:
            raise RuntimeError("engine pool did not start")

    def submit(self, *args: Any):
        return self._executor.submit(_analyze, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def resolve_processes(configured: int) -> int:
    """0 means one per CPU this process may run on."""
    return configured if configured > 0 else available_cpus()


def available_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
