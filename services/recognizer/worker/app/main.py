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
from .dlib_build import build_name, build_state
from .errors import WorkerError, too_large
from .faces import MODEL_NAME, FaceEngine, blaze_available, ms
from .imaging import clip_box, crop_box, crop_jpeg, decode, face_quality
from .models import Analyzed, Box, EncodeReply, EncodeRequest, Face, FaceQuality, Timings
from .pool import EnginePool, resolve_processes
from .tracking import TrackPolicy, TrackStore

log = logging.getLogger("glimpse.worker")

# application/octet-stream and a missing type are sniffed; so is any image/* (Pillow reads the bytes anyway).
SNIFFED_TYPES = ("application/octet-stream",)


def create_app(settings: Settings | None = None, engine: FaceEngine | None = None) -> FastAPI:
    settings = settings or Settings()
    own_engine = engine is None
    processes = resolve_processes(settings.processes)
    threads = blas_threads(settings.blas_threads, processes)
    # batching needs every frame in this process: a pool process only ever sees one frame at a time
    engine = engine or FaceEngine(settings.cnn_batch if processes == 1 else 1, settings.cnn_batch_window_ms / 1000)
    pool: EnginePool | None = None
    tracks_store = TrackStore()
    policy = TrackPolicy(settings.track_min_iou, settings.track_min_similarity, settings.track_max_age_s)

    def dlib_now() -> tuple[bool, bool]:
        """(blas, cuda) of the dlib that serves requests: the pool's, which may have moved to a new build."""
        return (pool.blas, pool.cuda) if pool else (engine.blas, engine.cuda)

    async def upgrade_when_built() -> None:
        """
        Once `setup.sh --dlib-build` has put dlib with OpenBLAS into the venv, starts a fresh pool on it, sends
        new requests there, and lets the old pool finish what it holds: no request is dropped or failed.
        """
        nonlocal pool
        while (state := build_state().state) != "ready":
            if state not in ("pending", "building"):
                return
            await asyncio.sleep(settings.dlib_watch_s)
        fresh = EnginePool(settings, processes)
        try:
            await run_in_threadpool(fresh.start)
        except asyncio.CancelledError:
            await run_in_threadpool(fresh.close)
            raise
        except Exception as exc:
            log.error("engine processes on the new dlib build did not start (%s); staying on dlib-bin", exc)
            await run_in_threadpool(fresh.close)
            return
        if not fresh.blas:
            log.warning("the new dlib build has no BLAS either; staying on the engine processes that run")
            await run_in_threadpool(fresh.close)
            return
        old, pool = pool, fresh
        log.info("switched to dlib with OpenBLAS: %d new engine process(es) serve new requests", processes)
        if old:
            await run_in_threadpool(old.close, False)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        nonlocal pool
        check_detector(settings, engine, settings.default_detector)
        started = time.perf_counter()
        limit_blas_threads(threads)  # before the engine processes start: they inherit it
        # a dlib compile still to come: a pool (even of one process) can be replaced without a restart
        upgrading = own_engine and settings.dlib_upgrade and build_state().state in ("pending", "building")
        if processes > 1 or upgrading:
            pool = EnginePool(settings, processes)
            await run_in_threadpool(pool.start)
        else:
            await run_in_threadpool(engine.load)
        blas, cuda = dlib_now()
        log.info(
            "models loaded in %.0f ms (cuda=%s, blas=%s with %d thread%s per engine process, %d engine process%s, "
            "detect max side %s); worker ready",
            ms(time.perf_counter() - started),
            cuda,
            blas,
            threads,
            "s" if threads > 1 else "",
            processes,
            "es" if processes > 1 else "",
            settings.default_detect_max_side or "full frame",
        )
        watcher = asyncio.create_task(upgrade_when_built()) if upgrading and not (blas or cuda) else None
        if watcher:
            log.warning("dlib-bin for now (~4x slower encoding); the worker moves to dlib with OpenBLAS later")
        elif not blas:
            log.warning(
                "dlib was built without BLAS: face encoding is ~4x slower "
                "(install libopenblas-dev and a C++ compiler, then run services/recognizer/worker/setup.sh)"
            )
        try:
            yield
        finally:
            if watcher:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
            if pool:
                await run_in_threadpool(pool.close)

    app = FastAPI(title="Glimpse face worker", lifespan=lifespan, docs_url=None, redoc_url=None)
    add_error_handlers(app)

    @app.get("/ping")
    def ping() -> dict[str, Any]:
        blas, cuda = dlib_now()
        detectors = ["blaze", "hog"] if blaze_available() else ["hog"]
        if cuda:
            detectors.append("cnn")
        reply: dict[str, Any] = {
            "status": "ok",
            "model": MODEL_NAME,
            "landmarks": "5-point",
            "cuda": cuda,
            "blas": blas,
            "dlib": build_name(blas, cuda),
            "detectors": detectors,
        }
        build = build_state()
        if build.state in ("pending", "building", "failed") or (build.state == "ready" and not (blas or cuda)):
            reply["dlibBuild"] = build.as_json() if build.state != "ready" else {"state": "switching"}
        return reply

    # None fields (no crop, no track) are left out of the JSON, as the contract expects
    @app.post("/v1/encode", response_model_exclude_none=True)
    async def encode(
        request: Request,
        detector: Detector | None = None,
        upsample: Annotated[int | None, Query(ge=0, le=3)] = None,
        jitters: Annotated[int | None, Query(ge=1, le=20)] = None,
        crops: bool = True,
        detect_max_side: Annotated[int | None, Query(ge=0, le=8192)] = None,
        detect_min_scale: Annotated[float | None, Query(gt=0, le=1)] = None,
        track: Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")] = None,
    ) -> EncodeReply:
        check_content_type(request.headers.get("content-type"))
        detector = detector or settings.default_detector
        check_detector(settings, engine, detector)
        body = await read_body(request, settings.max_bytes)
        upsample = settings.default_upsample if upsample is None else upsample
        jitters = jitters or settings.default_jitters
        max_side = settings.default_detect_max_side if detect_max_side is None else detect_max_side
        min_scale = settings.default_detect_min_scale if detect_min_scale is None else detect_min_scale
        tracks = tracks_store.get(track) if track and settings.tracking else None
        job = EncodeRequest(body, detector, upsample, jitters, crops, max_side, min_scale, tracks, policy)
        if pool:
            # the pool of this moment: an upgrade may replace `pool`, while this image finishes where it went
            analyzed = await asyncio.wrap_future(pool.submit(job))
        else:
            analyzed = await run_in_threadpool(analyze, engine, settings, job)
        if track and analyzed.tracks is not None:
            tracks_store.put(track, analyzed.tracks)
        reply, t = analyzed.reply, analyzed.reply.timings
        log.debug(
            "encode %dx%d %d bytes: %d faces (%s, upsample %d, jitters %d) queue %.0f decode %.0f detect %.0f encode %.0f ms",
            reply.width,
            reply.height,
            len(body),
            len(reply.faces),
            detector,
            upsample,
            jitters,
            t.queue_ms,
            t.decode_ms,
            t.detect_ms,
            t.encode_ms,
        )
        return reply

    return app


def analyze(engine: FaceEngine, settings: Settings, job: EncodeRequest) -> Analyzed:
    started = time.perf_counter()
    image = decode(job.body, settings.max_pixels, settings.max_decode_ratio, settings.decode_ratio_floor_bytes)
    pixels = np.asarray(image)
    decode_ms = ms(time.perf_counter() - started)
    found = engine.analyze(
        pixels,
        job.detector,
        job.upsample,
        job.jitters,
        job.detect_max_side,
        job.detect_min_scale,
        job.tracks,
        job.policy,
    )
    faces = []
    yaws: list[float | None] = list(found.yaws) or [None] * len(found.locations)
    track_ids: list[str | None] = (
        [t.id for t in found.tracks] if found.tracks is not None else [None] * len(found.locations)
    )
    for location, encoding, tracked, yaw, track_id in zip(
        found.locations, found.encodings, found.tracked, yaws, track_ids
    ):
        box = clip_box(*location, image.width, image.height)
        quality = face_quality(image, box)
        crop, area = None, None
        if job.crops:
            crop = crop_jpeg(image, box, settings.crop_margin, settings.crop_quality, settings.crop_max_side)
            # where the crop shows the frame: the matcher blurs bystanders in it (BLUR_UNKNOWN)
            area = Box(**crop_box(image, box, settings.crop_margin))
        faces.append(
            Face(
                box=Box(**box),
                encoding=encoding.tolist(),
                quality=FaceQuality(face_width=quality["faceWidth"], sharpness=quality["sharpness"], yaw=yaw),
                crop=crop,
                crop_box=area,
                tracked=True if tracked else None,
                track=track_id,
            )
        )
    timings = Timings(
        decode_ms=decode_ms,
        queue_ms=found.queue_ms,
        detect_ms=found.detect_ms,
        encode_ms=found.encode_ms,
        tracked_faces=sum(found.tracked),
    )
    return Analyzed(EncodeReply(width=image.width, height=image.height, faces=faces, timings=timings), found.tracks)


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
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()
        )
        return error(400, "INVALID_REQUEST", f"invalid request: {problems}")

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = "NOT_FOUND" if exc.status_code == 404 else "INVALID_REQUEST" if exc.status_code < 500 else "INTERNAL"
        return error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=exc)
        return error(500, "INTERNAL", f"internal worker error: {type(exc).__name__}")
