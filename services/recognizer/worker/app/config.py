from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Detector = Literal["hog", "cnn", "blaze"]


class Settings(BaseSettings):
    """Every variable is read as GLIMPSE_WORKER_<NAME>, e.g. GLIMPSE_WORKER_PORT=8501."""

    model_config = SettingsConfigDict(env_prefix="GLIMPSE_WORKER_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8500, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Request body limit in bytes.
    max_bytes: int = Field(25 * 1024 * 1024, ge=1)
    # Width x height limit, checked from the image header before any pixel is decoded.
    max_pixels: int = Field(40_000_000, ge=1)
    # An image may decode to at most this many times its encoded size, once it decodes to more than
    # decode_ratio_floor_bytes (see imaging.check_decode_work); more gets 413 from the header.
    max_decode_ratio: float = Field(100, gt=1)
    decode_ratio_floor_bytes: int = Field(24 * 1024 * 1024, ge=0)
    # blaze: BlazeFace (3-5 ms per 640x480 frame on a CPU core; HOG ~150 ms on the full frame, ~60 ms on the
    # 400 px copy: docs/performance.md, accuracy table) with HOG standing in when its
    # packages are missing; hog: face_recognition's default; cnn: dlib's CNN (GPU).
    default_detector: Detector = "blaze"
    # The CNN detector takes ~1.5 s for 250x250 and ~10 s for 640x480 on a CPU (HOG: 0.02 / 0.1 s),
    # so without a CUDA build of dlib it is refused unless this is set.
    allow_cnn_on_cpu: bool = False
    # How many times the detector upsamples the image: finds smaller faces, costs ~4x per step.
    default_upsample: int = Field(1, ge=0, le=3)
    # Detect on a copy of the frame shrunk so that its longest side is at most this many pixels, then
    # encode from the full-resolution pixels; 0 detects on the full frame (face_recognition's default).
    # HOG needs a face of ~80 px (upsample 0) or ~40 px (upsample 1) in the image it scans, so the
    # smallest face found grows by the shrink factor.
    default_detect_max_side: int = Field(400, ge=0, le=8192)
    # ...but never shrink by more than this factor: bounds the smallest face found (~40 px / factor at upsample 1).
    default_detect_min_scale: float = Field(0.5, gt=0, le=1)
    # Engine processes per worker (dlib holds the GIL, so only processes use more cores); 0 = one per CPU.
    processes: int = Field(0, ge=0, le=64)
    # Threads each engine process gives dlib's BLAS (the ResNet encoder's matrix products); 0 = the CPUs
    # shared out among the engine processes, at least one each.
    blas_threads: int = Field(0, ge=0, le=64)
    # GPU (detector=cnn): frames arriving within the window are detected in one batch of up to this many
    # (1 = off; only used with a single engine process, which is how a GPU worker runs).
    cnn_batch: int = Field(8, ge=1, le=64)
    cnn_batch_window_ms: float = Field(5.0, ge=0, le=1000)
    # Follow faces across a stream's snapshots (requests with ?track=<stream>) and reuse the encoding of a
    # face that continues a track: same spot (box IoU) and same look (thumbnail correlation).
    tracking: bool = True
    track_min_iou: float = Field(0.5, gt=0, le=1)
    track_min_similarity: float = Field(0.92, gt=0, le=1)
    # A track's encoding is recomputed at least this often (seconds), whatever it looks like.
    track_max_age_s: float = Field(2.0, ge=0, le=60)
    # When setup.sh is compiling dlib against OpenBLAS in the background (npm start's first run), move the
    # engine processes to that build once it is installed; checked every dlib_watch_s seconds.
    dlib_upgrade: bool = True
    dlib_watch_s: float = Field(2.0, gt=0, le=60)
    # Re-samples per encoding: more is slightly more accurate and proportionally slower.
    default_jitters: int = Field(1, ge=1, le=20)
    # Margin added around each face crop, as a fraction of the face box's width and height.
    crop_margin: float = Field(0.25, ge=0, le=2)
    crop_quality: int = Field(85, ge=1, le=95)
    # Crops larger than this (pixels, longest side) are scaled down, so that a frame's crops fit
    # in one NATS message to the matcher.
    crop_max_side: int = Field(256, ge=16, le=4096)
