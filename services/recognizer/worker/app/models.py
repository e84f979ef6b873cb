"""
What POST /v1/encode takes and answers, typed once for the server process and the engine pool processes.

The reply is the worker's contract with the recognizer (TypeScript): `workerEncodeReplySchema` in
libs/contracts/src/common/worker.ts parses it, and test/integration/worker-contract.test.ts checks real
replies against that schema. Fields are snake_case here and camelCase on the wire (`faceWidth`, `decodeMs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from .config import Detector
from .tracking import Track, TrackPolicy


@dataclass(frozen=True)
class EncodeRequest:
    """One image to analyze, with every option already resolved against the worker's defaults."""

    body: bytes
    detector: Detector
    upsample: int
    jitters: int
    crops: bool
    # detect on a copy shrunk to this longest side (0: full frame), but never by more than min_scale
    detect_max_side: int = 0
    detect_min_scale: float = 0.0
    # the stream's tracks before this frame; None when the request names no stream to track
    tracks: list[Track] | None = None
    policy: TrackPolicy = field(default_factory=TrackPolicy)


class WireModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class Box(WireModel):
    """In image pixels; x, y is the top-left corner."""

    x: int
    y: int
    width: int
    height: int


class FaceQuality(WireModel):
    face_width: int
    sharpness: float
    # head turn from the 5 landmarks (faces.yaw_of); absent where the landmarks are degenerate
    yaw: float | None = None


class Face(WireModel):
    box: Box
    encoding: list[float]
    quality: FaceQuality
    # base64 JPEG of the face plus a margin (requests with crops=true)
    crop: str | None = None
    # where `crop` was cut from the image
    crop_box: Box | None = None
    # true when the encoding was reused from the stream's track instead of computed
    tracked: bool | None = None
    # the face's track in its stream (requests with ?track= only)
    track: str | None = None


class Timings(WireModel):
    decode_ms: float
    queue_ms: float
    detect_ms: float
    encode_ms: float
    tracked_faces: int


class EncodeReply(WireModel):
    """Sent with response_model_exclude_none: a field that is None is left out, as the contract expects."""

    width: int
    height: int
    faces: list[Face]
    timings: Timings


@dataclass(frozen=True)
class Analyzed:
    """An engine's answer: the reply, and the stream's tracks after this frame (kept in the server process)."""

    reply: EncodeReply
    tracks: list[Track] | None
