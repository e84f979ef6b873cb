import asyncio
import logging
import time
from contextlib import asynccontextmanager
from typing import Annotated, Any

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from .blas import blas_threads, limit_blas_threads
from .config import Detector, Settings
from .errors import WorkerError, too_large
from .faces import MODEL_NAME, FaceEngine, blaze_available, ms
from .imaging import clip_box, crop_jpeg, decode, face_quality
from .pool import EnginePool, resolve_processes
from .tracking import Track, TrackPolicy, TrackStore

log = logging.getLogger("glimpse.worker")

# application/octet-stream and a missing type are sniffed; so is any image/* (Pillow reads the bytes anyway).
SNIFFED_TYPES = ("application/octet-stream",)


def create_app(settings: Settings | None = None, engine: FaceEngine | None = None) -> FastAPI:
    settings = settings or Settings()
    processes = resolve_processes(settings.processes)
    threads = blas_threads(settings.blas_threads, processes)
    # batching needs every frame in this process: a pool process only ever sees one frame at a time
    engine = engine or FaceEngine(settings.cnn_batch if processes == 1 else 1, settings.cnn_batch_window_ms / 1000)
    pool: EnginePool | None = None
    tracks_store = TrackStore()
    policy = TrackPolicy(settings.track_min_iou, settings.track_min_similarity, settings.track_max_age_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        nonlocal pool
        check_detector(settings, engine, settings.default_detector)
        started = time.perf_counter()
        limit_blas_threads(threads)  # before the engine processes start: they inherit it
        if processes > 1:
            pool = EnginePool(settings, processes)
            await run_in_threadpool(pool.start)
        else:
            await run_in_threadpool(engine.load)
        log.info(
            "models loaded in %.0f ms (cuda=%s, blas=%s with %d thread%s per engine process, %d engine process%s, "
            "detect max side %s); worker ready",
            ms(time.perf_counter() - started), engine.cuda, engine.blas, threads, "s" if threads > 1 else "",
            processes, "es" if processes > 1 else "", settings.default_detect_max_side or "full frame",
        )
        if not engine.blas:
            log.warning(
                "dlib was built without BLAS: face encoding is ~4x slower "
                "(install libopenblas-dev and a C++ compiler, then run services/recognizer/worker/setup.sh)"
            )
        try:
            yield
        finally:
            if pool:
                await run_in_threadpool(pool.close)

    app = FastAPI(title="Glimpse face worker", lifespan=lifespan, docs_url=None, redoc_url=None)
    add_error_handlers(app)

    @app.get("/ping")
    def ping() -> dict[str, Any]:
        detectors = ["blaze", "hog"] if blaze_available() else ["hog"]
        if engine.cuda:
            detectors.append("cnn")
        return {
            "status": "ok",
            "model": MODEL_NAME,
            "landmarks": "5-point",
            "cuda": engine.cuda,
            "blas": engine.blas,
            "detectors": detectors,
        }

    @app.post("/v1/encode")
    async def encode(
        request: Request,
        detector: Detector | None = None,
        upsample: Annotated[int | None, Query(ge=0, le=3)] = None,
        jitters: Annotated[int | None, Query(ge=1, le=20)] = None,
        crops: bool = True,
        detect_max_side: Annotated[int | None, Query(ge=0, le=8192)] = None,
        detect_min_scale: Annotated[float | None, Query(gt=0, le=1)] = None,
        track: Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")] = None,
    ) -> dict[str, Any]:
        check_content_type(request.headers.get("content-type"))
        detector = detector or settings.default_detector
        check_detector(settings, engine, detector)
        body = await read_body(request, settings.max_bytes)
        upsample = settings.default_upsample if upsample is None else upsample
        jitters = jitters or settings.default_jitters
        max_side = settings.default_detect_max_side if detect_max_side is None else detect_max_side
        min_scale = settings.default_detect_min_scale if detect_min_scale is None else detect_min_scale
        tracks = tracks_store.get(track) if track and settings.tracking else None
        args = (body, detector, upsample, jitters, crops, max_side, min_scale, tracks, policy)
        if pool:
            result = await asyncio.wrap_future(pool.submit(*args))
        else:
            result = await run_in_threadpool(analyze, engine, settings, *args)
        after = result.pop("tracks")
        if track and after is not None:
            tracks_store.put(track, after)
        t = result["timings"]
        log.debug(
            "encode %dx%d %d bytes: %d faces (%s, upsample %d, jitters %d) queue %.0f decode %.0f detect %.0f encode %.0f ms",
            result["width"], result["height"], len(body), len(result["faces"]), detector, upsample, jitters,
            t["queueMs"], t["decodeMs"], t["detectMs"], t["encodeMs"],
        )
        return result

    return app


def analyze(
    engine: FaceEngine,
    settings: Settings,
    body: bytes,
    detector: str,
    upsample: int,
    jitters: int,
    crops: bool,
    detect_max_side: int = 0,
    detect_min_scale: float = 0.0,
    tracks: list[Track] | None = None,
    policy: TrackPolicy = TrackPolicy(),
) -> dict[str, Any]:
    started = time.perf_counter()
    image = decode(body, settings.max_pixels, settings.max_decode_ratio, settings.decode_ratio_floor_bytes)
    pixels = np.asarray(image)
    decode_ms = ms(time.perf_counter() - started)
    found = engine.analyze(pixels, detector, upsample, jitters, detect_max_side, detect_min_scale, tracks, policy)
    faces = []
    yaws = found.yaws or [None] * len(found.locations)
    track_ids = [t.id for t in found.tracks] if found.tracks is not None else [None] * len(found.locations)
    for location, encoding, tracked, yaw, track_id in zip(found.locations, found.encodings, found.tracked, yaws, track_ids):
        box = clip_box(*location, image.width, image.height)
        quality = face_quality(image, box)
        if yaw is not None:
            quality["yaw"] = yaw
        face: dict[str, Any] = {"box": box, "encoding": encoding.tolist(), "quality": quality}
        if tracked:
            face["tracked"] = True
        if track_id is not None:
            face["track"] = track_id
        if crops:
            face["crop"] = crop_jpeg(image, face["box"], settings.crop_margin, settings.crop_quality, settings.crop_max_side)
        faces.append(face)
    return {
        "width": image.width,
        "height": image.height,
        "faces": faces,
        "timings": {
            "decodeMs": decode_ms,
            "queueMs": found.queue_ms,
            "detectMs": found.detect_ms,
            "encodeMs": found.encode_ms,
            "trackedFaces": sum(found.tracked),
        },
        "tracks": found.tracks,
    }


def check_detector(settings: Settings, engine: FaceEngine, detector: str) -> None:
    if detector == "cnn" and not engine.cuda and not settings.allow_cnn_on_cpu:
        raise WorkerError(
            400,
            "INVALID_REQUEST",
            "detector=cnn needs a CUDA build of dlib (on a CPU it takes ~10 s per 640x480 frame); "
            "use hog, or set GLIMPSE_WORKER_ALLOW_CNN_ON_CPU=true",
        )


def check_content_type(content_type: str | None) -> None:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind and not kind.startswith("image/") and kind not in SNIFFED_TYPES:
        raise WorkerError(415, "UNSUPPORTED_MEDIA_TYPE", f"expected image bytes (image/jpeg or image/png), got {kind}")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes `limit` bytes rather than after buffering all of it."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large(f"request body of {declared} bytes is over the limit of {limit}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(f"request body is over the limit of {limit} bytes")
    return bytes(body)


def add_error_handlers(app: FastAPI) -> None:
    def error(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"code": code, "message": message}, status_code=status)

    @app.exception_handler(WorkerError)
    async def worker_error(_: Request, exc: WorkerError) -> JSONResponse:
        log.debug("rejected: %s %s", exc.code, exc.message)
        return error(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors())
        return error(400, "INVALID_REQUEST", f"invalid request: {problems}")

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = "NOT_FOUND" if exc.status_code == 404 else "INVALID_REQUEST" if exc.status_code < 500 else "INTERNAL"
        return error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=exc)
        return error(500, "INTERNAL", f"internal worker error: {type(exc).__name__}")
