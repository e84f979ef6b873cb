import threading
import time
from typing import Any

import numpy as np

from app.batching import DetectBatcher
from app.faces import FaceEngine


def test_frames_arriving_together_are_detected_in_one_batch():
    calls = []

    def detect(images, upsample):
        calls.append((len(images), upsample))
        time.sleep(0.02)
        return [[(0, i + 1, i + 1, 0)] for i in range(len(images))]

    batcher = DetectBatcher(detect, max_batch=4, window_s=0.05)
    images = [np.zeros((8, 8, 3), np.uint8) for _ in range(4)]
    out: list[Any] = [None] * 4

    def run(i):
        out[i] = batcher.detect(images[i], 1)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [(4, 1)]
    assert sorted(o[0][1] for o in out) == [1, 2, 3, 4]  # each caller got one box of its own


def test_sizes_and_upsample_settings_are_batched_apart_and_errors_reach_every_caller():
    calls = []

    def detect(images, upsample):
        calls.append((images[0].shape, len(images), upsample))
        if upsample == 2:
            raise RuntimeError("cuda out of memory")
        return [[] for _ in images]

    batcher = DetectBatcher(detect, max_batch=8, window_s=0.05)
    errors = []

    def run(shape, up):
        try:
            batcher.detect(np.zeros(shape, np.uint8), up)
        except RuntimeError as e:
            errors.append(str(e))

    jobs = [((8, 8, 3), 1), ((8, 8, 3), 1), ((16, 8, 3), 1), ((8, 8, 3), 2)]
    threads = [threading.Thread(target=run, args=j) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted((s, n, u) for s, n, u in calls) == [((8, 8, 3), 1, 2), ((8, 8, 3), 2, 1), ((16, 8, 3), 1, 1)]
    assert errors == ["cuda out of memory"]


def test_the_engine_batches_cnn_detection_with_the_same_boxes(face_photo):
    """dlib's CNN detector, run for real on small frames (a CPU is slow at it, so the frames are tiny)."""
    import face_recognition

    small = np.asarray(face_photo.resize((200, 200)))
    engine = FaceEngine(cnn_batch=4, cnn_batch_window_s=0.2)
    engine.load()
    results: list[Any] = [None] * 3

    def run(i):
        results[i] = engine.analyze(small, "cnn", 1, 1)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    alone = face_recognition.face_locations(small, 1, "cnn")
    assert len(alone) == 1
    # The CNN's convolutions run on OpenBLAS, whose rounding differs by CPU; a box may move by a pixel
    # between a batch and a lone call. A wrong box (another face, a scale mix-up) moves tens of pixels.
    assert all(len(r.locations) == len(alone) for r in results)
    assert all(max(abs(x - y) for x, y in zip(a, b)) <= 2 for r in results for a, b in zip(r.locations, alone))
    assert engine._batcher is not None
    assert max(engine._batcher.batches) >= 2
