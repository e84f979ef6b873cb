"""
Batched CNN detection for GPU workers: frames that arrive within a few milliseconds of each other are
detected in one `face_recognition.batch_face_locations` call, which a GPU runs in little more than the
time of one frame. On a CPU it brings nothing (and the CNN detector is refused there by default).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Location = tuple[int, int, int, int]
BatchDetect = Callable[[list[np.ndarray], int], list[list[Location]]]


@dataclass
class _Job:
    image: np.ndarray
    upsample: int
    done: threading.Event = field(default_factory=threading.Event)
    result: list[Location] | None = None
    error: BaseException | None = None


class DetectBatcher:
    """One thread owns the detector; callers from any thread queue a frame and wait for its boxes."""

    def __init__(self, detect: BatchDetect, max_batch: int = 8, window_s: float = 0.005) -> None:
        self._detect = detect
        self._max = max_batch
        self._window = window_s
        self._jobs: queue.Queue[_Job] = queue.Queue()
        self.batches: list[int] = []  # sizes of the batches run, newest last (bounded): for tests and logs
        threading.Thread(target=self._run, name="cnn-batcher", daemon=True).start()

    def detect(self, image: np.ndarray, upsample: int) -> list[Location]:
        job = _Job(image, upsample)
        self._jobs.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result or []

    def _run(self) -> None:
        while True:
            batch = [self._jobs.get()]
            deadline = time.monotonic() + self._window
            while len(batch) < self._max:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    batch.append(self._jobs.get(timeout=left))
                except queue.Empty:
                    break
            # dlib batches only images of one size, detected with one upsample setting
            groups: dict[tuple, list[_Job]] = {}
            for job in batch:
                groups.setdefault((job.image.shape, job.upsample), []).append(job)
            for (_, upsample), jobs in groups.items():
                self._run_group(jobs, upsample)

    def _run_group(self, jobs: list[_Job], upsample: int) -> None:
        self.batches = (self.batches + [len(jobs)])[-100:]
        try:
            results = self._detect([j.image for j in jobs], upsample)
            for job, found in zip(jobs, results):
                job.result = list(found)
        except BaseException as e:  # handed to every waiting caller
            for job in jobs:
                job.error = e
        for job in jobs:
            job.done.set()
