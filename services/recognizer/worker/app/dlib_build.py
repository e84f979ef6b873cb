"""
Which dlib build the worker runs, and the background compile of the OpenBLAS one (`setup.sh --dlib-build`).

`npm start` on a new machine starts on the prebuilt dlib-bin and compiles dlib against OpenBLAS meanwhile
(~7 minutes on 2 cores). setup.sh records that compile's state in the venv; the worker reads it to say so
on /ping and, once it reads `ready`, starts fresh engine processes on the new build (see main.py).
"""

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

STATE_FILE = ".glimpse-dlib-build"
LOG_FILE = "dlib-build.log"
# cmake's progress lines while it compiles dlib: "[ 45%] Building CXX object ..."
_PROGRESS = re.compile(rb"\[\s*(\d{1,3})%\]")


@dataclass(frozen=True)
class BuildState:
    # none: no compile pending; pending: waits for npm start to run it; building; ready; failed
    state: str
    percent: int | None = None
    detail: str | None = None

    def as_json(self) -> dict:
        out: dict = {"state": self.state}
        if self.percent is not None:
            out["percent"] = self.percent
        if self.detail:
            out["detail"] = self.detail
        return out


def venv_dir() -> Path:
    return Path(os.environ.get("GLIMPSE_WORKER_VENV") or sys.prefix)


def build_state(venv: Path | None = None) -> BuildState:
    venv = venv or venv_dir()
    try:
        words = (venv / STATE_FILE).read_text().split(maxsplit=1)
    except OSError:
        return BuildState("none")
    kind, rest = (words[0] if words else "none"), (words[1].strip() if len(words) > 1 else "")
    if kind == "building":
        if rest.isdigit() and not _alive(int(rest)):
            return BuildState("pending", detail="the last compile was interrupted")
        return BuildState("building", percent=_progress(venv / LOG_FILE))
    if kind.startswith("failed"):
        return BuildState("failed", detail=rest or None)
    return BuildState(kind if kind in ("pending", "ready") else "none")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _progress(log: Path) -> int | None:
    """The last percentage cmake printed, from the log's tail."""
    try:
        with log.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 65536))
            found = _PROGRESS.findall(f.read())
    except OSError:
        return None
    return min(100, int(found[-1])) if found else None


def build_name(blas: bool, cuda: bool) -> str:
    """What /ping and /healthz call the build: `openblas` (compiled here), `bin` (the prebuilt wheel), `cuda`."""
    return "cuda" if cuda else "openblas" if blas else "bin"
