import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from app.imaging import SHARPNESS_WIDTH, face_quality, laplacian_variance

from .conftest import image_bytes

MATCHER_CONFIG = Path(__file__).resolve().parents[3] / "matcher" / "src" / "config.ts"


def matcher_default(name: str) -> float:
    """A default of the matcher's env schema, read from its source so this test cannot go stale."""
    found = re.search(rf"\b{name}: envNumber\(([0-9.]+)", MATCHER_CONFIG.read_text())
    assert found, f"{name} default not found in {MATCHER_CONFIG}"
    return float(found.group(1))


# below the matcher's default ENROLL_MIN_SHARPNESS a crop is too blurred to enroll
MIN_SHARPNESS = matcher_default("ENROLL_MIN_SHARPNESS")


def encode_quality(client, image: Image.Image, **params) -> list[dict]:
    response = client.post(
        "/v1/encode", content=image_bytes(image), headers={"Content-Type": "image/jpeg"}, params=params
    )
    assert response.status_code == 200, response.text
    return response.json()["faces"]


def test_laplacian_variance_of_flat_and_checkerboard():
    assert laplacian_variance(np.full((20, 20), 128.0)) == 0
    # every interior pixel is +-4*255 from its neighbours
    board = (np.indices((10, 10)).sum(axis=0) % 2) * 255.0
    assert laplacian_variance(board) == pytest.approx(1020.0**2)
    assert laplacian_variance(np.zeros((2, 50))) == 0


def test_sharpness_is_measured_at_a_fixed_width(face_photo):
    # the same face at two sizes scores alike: the box is resized to SHARPNESS_WIDTH px wide first
    face = face_photo.crop((60, 60, 190, 190))
    scores = []
    for side in (256, 512):
        box = {"x": 0, "y": 0, "width": side, "height": side}
        quality = face_quality(face.resize((side, side), Image.Resampling.LANCZOS), box)
        assert quality["faceWidth"] == side
        scores.append(quality["sharpness"])
    assert scores[0] == pytest.approx(scores[1], rel=0.15)
    assert SHARPNESS_WIDTH == 128


def test_every_face_has_quality_even_without_crops(client, face_photo):
    for crops in ("true", "false"):
        [face] = encode_quality(client, face_photo, crops=crops)
        assert face["quality"]["faceWidth"] == face["box"]["width"]
        assert isinstance(face["quality"]["faceWidth"], int)
        assert face["quality"]["sharpness"] >= 0


def test_a_sharp_face_passes_and_its_blurred_copy_fails(client, photos):
    # the sharpest of the first few fixture photos (LFW: ~100 px faces, mostly 20-100, a few softer)
    candidates = []
    for _, path in photos[:4]:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
        [face] = encode_quality(client, image)
        candidates.append((face["quality"]["sharpness"], image, face))
    sharpness, image, face = max(candidates, key=lambda c: c[0])
    assert face["quality"]["faceWidth"] == face["box"]["width"]
    assert sharpness > MIN_SHARPNESS

    blurred = image.filter(ImageFilter.GaussianBlur(6))
    assert face_quality(blurred, face["box"])["sharpness"] < MIN_SHARPNESS
    # and through the endpoint, if the detector still finds the blurred face
    found = encode_quality(client, blurred)
    for f in found:
        assert f["quality"]["sharpness"] < MIN_SHARPNESS
