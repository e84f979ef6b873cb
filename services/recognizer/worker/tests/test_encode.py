import base64
import io
import math

import dlib
import numpy as np
import pytest
from PIL import Image

from .conftest import image_bytes, make_client

JPEG = {"Content-Type": "image/jpeg"}
PNG = {"Content-Type": "image/png"}


def encode(client, body: bytes, headers=JPEG, **params):
    return client.post("/v1/encode", content=body, headers=headers, params=params)


def faces_of(response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["faces"]


def assert_error(response, status: int, code: str, message_part: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert message_part in body["message"]


def distance(a: list[float], b: list[float]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))


def test_ping_names_the_model(client, engine):
    assert client.get("/ping").json() == {
        "status": "ok",
        "model": "dlib_face_recognition_resnet_model_v1",
        "landmarks": "5-point",
        "cuda": engine.cuda,
        "blas": dlib.DLIB_USE_BLAS,
        "dlib": "cuda" if engine.cuda else "openblas" if dlib.DLIB_USE_BLAS else "bin",
        "detectors": ["blaze", "hog"] + ["cnn"] * engine.cuda,
    }


def test_one_face_with_encoding_box_and_crop(client, face_photo):
    response = encode(client, image_bytes(face_photo))
    body = response.json()
    assert (body["width"], body["height"]) == face_photo.size
    assert set(body["timings"]) >= {"decodeMs", "detectMs", "encodeMs"}
    [face] = faces_of(response)
    assert len(face["encoding"]) == 128
    assert all(isinstance(v, float) and math.isfinite(v) for v in face["encoding"])
    box = face["box"]
    assert all(isinstance(box[k], int) for k in ("x", "y", "width", "height"))
    assert box["width"] >= 1 and box["height"] >= 1
    assert box["x"] + box["width"] <= body["width"] and box["y"] + box["height"] <= body["height"]
    with Image.open(io.BytesIO(base64.b64decode(face["crop"]))) as crop:
        assert crop.format == "JPEG"
        # a 25% margin on each side, unless the image edge cuts it
        assert box["width"] < crop.width <= round(box["width"] * 1.5) + 1
        # cropBox says which part of the image the crop shows (unscaled: it is under crop_max_side)
        area = face["cropBox"]
        assert (area["width"], area["height"]) == crop.size
        assert area["x"] <= box["x"] and box["x"] + box["width"] <= area["x"] + area["width"]


def test_same_person_is_closer_than_a_stranger(client, photos):
    by_person: dict[str, list] = {}
    for identity, path in photos:
        by_person.setdefault(identity, []).append(path)
    [a1, a2], b = by_person[photos[0][0]][:2], next(p for i, ps in by_person.items() if i != photos[0][0] for p in ps)
    enc = [faces_of(encode(client, p.read_bytes()))[0]["encoding"] for p in (a1, a2, b)]
    assert distance(enc[0], enc[1]) < 0.6 < distance(enc[0], enc[2])


def test_crops_can_be_left_out(client, face_photo):
    [face] = faces_of(encode(client, image_bytes(face_photo), crops="false"))
    assert set(face) == {"box", "encoding", "quality"}


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_no_faces_on_a_blank_image(client, fmt):
    blank = Image.new("RGB", (640, 480), (208, 208, 208))
    response = encode(client, image_bytes(blank, fmt), headers={"Content-Type": f"image/{fmt.lower()}"})
    assert faces_of(response) == []
    assert (response.json()["width"], response.json()["height"]) == (640, 480)


@pytest.mark.parametrize(
    "body",
    [b"", b"definitely not an image", b"\xff\xd8\xff\xe0" + bytes(2000)],
    ids=["empty", "text", "jpeg-magic-then-zeros"],
)
def test_undecodable_bytes_are_invalid_image(client, body):
    assert_error(encode(client, body), 400, "INVALID_IMAGE", "could not decode image")


def test_a_truncated_jpeg_is_invalid_image(client, face_photo):
    whole = image_bytes(face_photo)
    assert_error(encode(client, whole[: len(whole) // 2]), 400, "INVALID_IMAGE", "truncated")


def test_body_over_max_bytes_is_413(engine, face_photo):
    body = image_bytes(face_photo)
    with make_client(engine, max_bytes=len(body) - 1) as small:
        assert_error(encode(small, body), 413, "IMAGE_TOO_LARGE", "limit")


def test_pixels_over_max_pixels_are_413_before_decoding(client):
    # 100 megapixels that compress to a few kB: refused from the header, never decoded
    huge = image_bytes(Image.new("1", (10_000, 10_000)), "PNG")
    assert len(huge) < 100_000
    assert_error(encode(client, huge, headers=PNG), 413, "IMAGE_TOO_LARGE", "10000x10000")


def test_pillow_decompression_bomb_error_is_413(client):
    # past twice Pillow's own limit, Image.open itself refuses
    bomb = image_bytes(Image.new("1", (14_000, 14_000)), "PNG")
    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS * 2 < 14_000 * 14_000
    assert_error(encode(client, bomb, headers=PNG), 413, "IMAGE_TOO_LARGE")


def test_max_pixels_is_configurable(engine, face_photo):
    with make_client(engine, max_pixels=250 * 250 - 1) as strict:
        assert_error(encode(strict, image_bytes(face_photo)), 413, "IMAGE_TOO_LARGE", "250x250")


def test_exif_orientation_is_honoured(client, face_photo):
    upright = face_photo.crop((0, 0, 250, 210))
    [expected] = faces_of(encode(client, image_bytes(upright)))
    # stored sideways, tagged "rotate 90 degrees clockwise to display" (orientation 6)
    sideways = upright.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    assert faces_of(encode(client, image_bytes(sideways))) == [], "the detector should miss a sideways face"
    response = encode(client, image_bytes(sideways, exif=exif.tobytes()))
    [face] = faces_of(response)
    assert (response.json()["width"], response.json()["height"]) == (250, 210)
    for k in ("x", "y", "width", "height"):
        assert abs(face["box"][k] - expected["box"][k]) <= 2


def test_cmyk_jpeg_is_accepted(client, face_photo):
    assert len(faces_of(encode(client, image_bytes(face_photo.convert("CMYK"))))) == 1


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "LA", "I;16"])
def test_other_modes_are_converted_to_rgb(client, face_photo, mode):
    if mode == "I;16":
        image = Image.fromarray(np.asarray(face_photo.convert("L"), dtype=np.uint16) * 257)
        assert image.mode == "I;16"
    else:
        image = face_photo.convert(mode)
    assert len(faces_of(encode(client, image_bytes(image, "PNG"), headers=PNG))) == 1


def test_first_frame_of_an_animation(client, face_photo):
    blank = Image.new("RGB", face_photo.size, (200, 200, 200))
    gif = image_bytes(face_photo, "GIF", save_all=True, append_images=[blank], duration=100)
    assert len(faces_of(encode(client, gif, headers={"Content-Type": "image/gif"}))) == 1


@pytest.mark.parametrize("content_type", ["application/octet-stream", "image/png", None])
def test_content_type_is_sniffed(client, face_photo, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    assert len(faces_of(encode(client, image_bytes(face_photo), headers=headers))) == 1


def test_non_image_content_type_is_415(client, face_photo):
    response = encode(client, image_bytes(face_photo), headers={"Content-Type": "text/plain"})
    assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize(
    "params",
    [
        {"detector": "fast"},
        {"upsample": "4"},
        {"upsample": "-1"},
        {"jitters": "0"},
        {"jitters": "21"},
        {"crops": "maybe"},
    ],
)
def test_invalid_query_is_invalid_request(client, params):
    assert_error(encode(client, b"x", **params), 400, "INVALID_REQUEST")


def test_cnn_is_refused_without_cuda(client, engine, face_photo):
    if engine.cuda:
        pytest.skip("this dlib build has CUDA")
    assert_error(encode(client, image_bytes(face_photo), detector="cnn"), 400, "INVALID_REQUEST", "CUDA")


def test_unknown_route_is_json(client):
    assert_error(client.get("/nope"), 404, "NOT_FOUND")
