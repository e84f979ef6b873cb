import numpy as np
import pytest
from PIL import Image

from app.fastpath import detection_scale, iou, scale_location, shrink

from .conftest import image_bytes, make_client


def test_detection_scale():
    assert detection_scale(640, 480, 0) == 1.0
    assert detection_scale(640, 480, 640) == 1.0
    assert detection_scale(640, 480, 320) == 0.5
    assert detection_scale(720, 1280, 640) == 0.5
    assert detection_scale(1280, 720, 400, 0.5) == 0.5
    assert detection_scale(640, 480, 400, 0.5) == 0.625


def test_a_box_on_the_shrunk_frame_maps_back_and_is_clipped():
    assert scale_location((10, 60, 50, 20), 0.5, 640, 480) == (20, 120, 100, 40)
    assert scale_location((10, 60, 50, 20), 1.0, 640, 480) == (10, 60, 50, 20)
    assert scale_location((-3, 330, 250, 300), 0.5, 640, 480) == (0, 640, 480, 600)


def test_shrink_keeps_the_aspect_ratio():
    image = np.zeros((720, 1280, 3), np.uint8)
    assert shrink(image, 0.5).shape == (360, 640, 3)
    assert shrink(image, 1.0) is image


def test_iou():
    assert iou((0, 10, 10, 0), (0, 10, 10, 0)) == 1.0
    assert iou((0, 10, 10, 0), (0, 20, 10, 10)) == 0.0
    assert iou((0, 10, 10, 0), (0, 15, 10, 5)) == pytest.approx(1 / 3)


def on_frame(photo: Image.Image, size=(1280, 720), side=300) -> Image.Image:
    frame = Image.new("RGB", size, (119, 119, 119))
    frame.paste(photo.resize((side, side)), ((size[0] - side) // 2, (size[1] - side) // 2))
    return frame


def test_detecting_on_a_shrunk_frame_finds_the_same_face_in_full_resolution(engine, face_photo):
    pixels = np.asarray(on_frame(face_photo))
    full = engine.analyze(pixels, "hog", 1, 1, 0)
    fast = engine.analyze(pixels, "hog", 1, 1, 640)
    [a], [b] = full.locations, fast.locations
    assert iou(a, b) > 0.7, (a, b)
    # encoded from the full-resolution pixels: the same person by a wide margin
    assert np.linalg.norm(full.encodings[0] - fast.encodings[0]) < 0.35


def test_the_http_api_takes_detect_max_side(client, face_photo):
    body = image_bytes(on_frame(face_photo))
    full = client.post(
        "/v1/encode",
        content=body,
        headers={"Content-Type": "image/jpeg"},
        params={"detector": "hog", "detect_max_side": 0},
    )
    fast = client.post(
        "/v1/encode",
        content=body,
        headers={"Content-Type": "image/jpeg"},
        params={"detector": "hog", "detect_max_side": 640},
    )
    assert full.status_code == fast.status_code == 200
    [a], [b] = full.json()["faces"], fast.json()["faces"]
    for k in ("x", "y", "width", "height"):
        assert abs(a["box"][k] - b["box"][k]) <= 0.15 * a["box"]["width"], (a["box"], b["box"])
    assert fast.json()["timings"]["detectMs"] < full.json()["timings"]["detectMs"]


def test_an_engine_pool_answers_and_passes_errors_on(engine, face_photo):
    with make_client(engine, processes=2) as pooled:
        r = pooled.post("/v1/encode", content=image_bytes(face_photo), headers={"Content-Type": "image/jpeg"})
        assert r.status_code == 200, r.text
        assert len(r.json()["faces"]) == 1
        bad = pooled.post("/v1/encode", content=b"not an image", headers={"Content-Type": "image/jpeg"})
        assert bad.status_code == 400 and bad.json()["code"] == "INVALID_IMAGE"
