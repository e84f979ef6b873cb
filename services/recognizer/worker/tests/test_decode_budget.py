"""Decode work is bounded by the encoded size: an image whose samples are out of proportion is refused from its header."""

import io
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from app.errors import WorkerError
from app.imaging import MAX_DECODE_RATIO, decode, decoded_bytes

from .conftest import image_bytes, make_client

PNG = {"Content-Type": "image/png"}


def png16_gradient(width: int, height: int) -> bytes:
    """A 16-bit greyscale PNG of a smooth gradient: a few hundred KB for tens of MB of samples."""
    row = np.linspace(0, 65535, width).astype(">u2").tobytes()
    raw = b"".join(b"\x00" + row for _ in range(height))  # filter type 0 on every row
    return png(width, height, 16, 0, zlib.compress(raw, 9))


def png(width: int, height: int, bit_depth: int, colour_type: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def bomb16() -> bytes:
    # the reported case: 6300x6300 16-bit, under the 40 MP limit, ~80 MB of samples
    return png16_gradient(6300, 6300)


def test_the_16_bit_6300px_png_is_refused_from_its_header(client, bomb16):
    assert 6300 * 6300 < 40_000_000 and len(bomb16) < 1_000_000
    started = time.perf_counter()
    response = client.post("/v1/encode", content=bomb16, headers=PNG)
    elapsed = time.perf_counter() - started
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["code"] == "IMAGE_TOO_LARGE"
    assert "6300x6300" in body["message"] and "times its size" in body["message"]
    assert elapsed < 1.0  # nothing was decoded (it took 10-15 s to decode and scan)


def test_decoded_bytes_count_bands_and_bit_depth(bomb16):
    assert decoded_bytes(Image.open(io.BytesIO(bomb16))) == 6300 * 6300 * 2
    rgb16 = png(20, 10, 16, 2, zlib.compress(b"".join(b"\x00" + bytes(20 * 6) for _ in range(10))))
    assert decoded_bytes(Image.open(io.BytesIO(rgb16))) == 20 * 10 * 3 * 2
    jpeg = image_bytes(Image.new("RGB", (40, 30)))
    assert decoded_bytes(Image.open(io.BytesIO(jpeg))) == 40 * 30 * 3
    assert decoded_bytes(Image.open(io.BytesIO(image_bytes(Image.new("L", (40, 30)), "PNG")))) == 40 * 30


def test_photos_and_small_flat_images_still_decode(face_photo):
    for fmt in ("JPEG", "PNG"):
        data = image_bytes(face_photo, fmt)
        assert decode(data, 40_000_000).size == face_photo.size
    # a blank 640x480 PNG is hundreds of times smaller than its pixels, but too small to matter
    blank = image_bytes(Image.new("RGB", (640, 480), (208, 208, 208)), "PNG")
    assert 640 * 480 * 3 > len(blank) * MAX_DECODE_RATIO
    assert decode(blank, 40_000_000).size == (640, 480)
    # a small 16-bit image decodes (scaled to 8 bits)
    assert decode(png16_gradient(64, 48), 40_000_000).mode == "RGB"


def test_the_ratio_and_its_floor_are_settings(engine, face_photo):
    photo = image_bytes(face_photo, "PNG")
    with make_client(engine, max_decode_ratio=1.5, decode_ratio_floor_bytes=0) as strict:
        response = strict.post("/v1/encode", content=photo, headers=PNG)
        assert response.status_code == 413 and "times its size" in response.json()["message"]
    with pytest.raises(WorkerError) as refused:
        decode(photo, 40_000_000, max_ratio=1.5, ratio_floor=0)
    assert refused.value.status == 413
