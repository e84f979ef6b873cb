"""
Several engine processes behind one HTTP worker, so that one worker uses every core.

dlib holds the GIL for the whole detect/encode call, so threads cannot run two images at once;
processes can. Each pool process loads its own models (about 100 MB) once, at start-up.
"""

import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

from .models import Analyzed, EncodeRequest

if TYPE_CHECKING:
    from .config import Settings
    from .faces import FaceEngine

_engine: "FaceEngine | None" = None
_settings: "Settings | None" = None


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


def _ready() -> tuple[int, bool, bool]:
    """This process's pid, and whether its dlib has BLAS and CUDA (a pool started after an upgrade differs)."""
    if _engine is None:
        raise RuntimeError("engine process was not initialised")
    return os.getpid(), bool(_engine.blas), bool(_engine.cuda)


def _analyze(job: EncodeRequest) -> Analyzed:
    from .main import analyze

    if _engine is None or _settings is None:
        raise RuntimeError("engine process was not initialised")
    return analyze(_engine, _settings, job)


class EnginePool:
    """`processes` engine processes; analyze() runs one image on whichever is free."""

    def __init__(self, settings, processes: int) -> None:
        self.processes = processes
        self.blas = False
        self.cuda = False
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            # spawn: a pool process inherits no sockets or locks from the server process
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(settings.model_dump_json(), os.getpid()),
        )

    def start(self) -> None:
        """Blocks until every process has loaded its models."""
        found = [f.result() for f in [self._executor.submit(_ready) for _ in range(self.processes * 2)]]
        if not found:
            raise RuntimeError("engine pool did not start")
        self.blas = all(blas for _, blas, _ in found)
        self.cuda = all(cuda for _, _, cuda in found)

    def submit(self, job: EncodeRequest) -> Future[Analyzed]:
        return self._executor.submit(_analyze, job)

    def close(self, cancel: bool = True) -> None:
        """cancel=False lets every image already submitted finish (a pool being replaced)."""
        self._executor.shutdown(wait=True, cancel_futures=cancel)


def resolve_processes(configured: int) -> int:
    """0 means one per CPU this process may run on."""
    return configured if configured > 0 else available_cpus()


def available_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
