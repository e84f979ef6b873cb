import threading
import time
from dataclasses import dataclass

import numpy as np

from .fastpath import detection_scale, scale_location, shrink

MODEL_NAME = "dlib_face_recognition_resnet_model_v1"


@dataclass(frozen=True)
class Analysis:
    # (top, right, bottom, left), already clipped to the image by face_recognition
    locations: list[tuple[int, int, int, int]]
    encodings: list[np.ndarray]
    queue_ms: float
    detect_ms: float
    encode_ms: float


class FaceEngine:
    """
    dlib through face_recognition, one call at a time: dlib's detectors and the ResNet encoder are
    CPU-heavy and not documented as thread-safe, so a process does one image at a time and scales
    by running more processes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fr = None

    def load(self) -> None:
        # face_recognition loads every model file at import; done here so startup pays, not the first request.
        import face_recognition
        from PIL import ImageFile

        # That import also makes Pillow accept truncated files globally; a cut-off upload must be a 400.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        self._fr = face_recognition
        blank = np.zeros((64, 64, 3), np.uint8)
        self.analyze(blank, "hog", 0, 1)
        with self._lock:
            face_recognition.face_encodings(blank, [(8, 56, 56, 8)], 1, "small")

    @property
    def cuda(self) -> bool:
        import dlib

        return bool(dlib.DLIB_USE_CUDA)

    def analyze(
        self,
        image: np.ndarray,
        detector: str,
        upsample: int,
        jitters: int,
        detect_max_side: int = 0,
        detect_min_scale: float = 0.0,
    ) -> Analysis:
        """
        Detect (on a copy shrunk to `detect_max_side` pixels, 0 = full size), then encode at full size.
        `detect_min_scale` bounds the shrink (see fastpath.detection_scale).
        """
        fr = self._fr
        if fr is None:
            raise RuntimeError("models are not loaded")
        height, width = image.shape[:2]
        scale = detection_scale(width, height, detect_max_side, detect_min_scale)
        t0 = time.perf_counter()
        with self._lock:
            t1 = time.perf_counter()
            found = fr.face_locations(shrink(image, scale), upsample, detector)
            locations = [scale_location(loc, scale, width, height) for loc in found]
            t2 = time.perf_counter()
            # "small" = the 5-point landmark model; the 68-point one is not licensed for commercial use.
            encodings = fr.face_encodings(image, locations, jitters, "small") if locations else []
            t3 = time.perf_counter()
        return Analysis(locations, encodings, ms(t1 - t0), ms(t2 - t1), ms(t3 - t2))



def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
