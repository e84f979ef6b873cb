import base64
import io
import warnings
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import invalid_image, too_large

# What cameras, phones and browsers produce. Listing them keeps Pillow's rarer decoders out of reach.
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")  # JPEG covers MPO (phone cameras)


# An image may decode to at most this many times its encoded size (once it decodes to more than
# DECODE_RATIO_FLOOR_BYTES): photos compress 5-30x, even flat ones stay under 100x, while a
# 309 KB 16-bit 6300x6300 PNG (79 MB of samples, 257x) cost 11-15 s of decoding and detection for nothing.
MAX_DECODE_RATIO = 100
DECODE_RATIO_FLOOR_BYTES = 24 * 1024 * 1024


def decoded_bytes(image: Image.Image) -> int:
    """Bytes of samples the decoder will produce, from the header: pixels x bands x bytes a sample."""
    width, height = image.size
    tile = getattr(image, "tile", None)  # an ImageFile's, straight from the header
    rawmode = tile[0].args if tile else None
    rawmode = rawmode[0] if isinstance(rawmode, tuple) and rawmode else rawmode
    text = f"{image.mode} {rawmode if isinstance(rawmode, str) else ''}"
    per_sample = 4 if image.mode in ("I", "F") else 2 if "16" in text else 1
    return width * height * len(image.getbands()) * per_sample


def check_decode_work(image: Image.Image, encoded: int, max_ratio: float, floor: int) -> None:
    """413 for an image whose decoded samples are out of proportion to its bytes (a decompression bomb)."""
    samples = decoded_bytes(image)
    if samples > floor and samples > encoded * max_ratio:
        width, height = image.size
        raise too_large(
            f"image of {width}x{height} pixels ({image.mode}) decodes to {samples / 2**20:.0f} MiB from "
            f"{encoded / 1024:.0f} KiB, {samples / encoded:.0f} times its size (at most {max_ratio:g}): "
            "send a photo, as JPEG or 8-bit PNG"
        )


def decode(
    data: bytes,
    max_pixels: int,
    max_ratio: float = MAX_DECODE_RATIO,
    ratio_floor: int = DECODE_RATIO_FLOOR_BYTES,
) -> Image.Image:
    """
    Bytes to an upright RGB image. From the header, before any pixel is decoded: the pixel count, and the
    decoded size against the encoded one (`check_decode_work`).
    """
    if not data:
        raise invalid_image("the request body is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            width, height = image.size
            if width * height > max_pixels:
                raise too_large(f"image is {width}x{height} = {width * height} pixels, over the limit of {max_pixels}")
            check_decode_work(image, len(data), max_ratio, ratio_floor)
            image.load()  # the first frame of an animation
            return to_rgb(ImageOps.exif_transpose(image))
    except Image.DecompressionBombError as e:
        raise too_large(str(e)) from e
    except UnidentifiedImageError as e:
        raise invalid_image(f"not a {', '.join(FORMATS)} image") from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise invalid_image(e) from e


def to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode == "RGB":
        return image
    if mode.startswith("I"):
        # 16-bit greyscale: scale to 8 bits, since a plain convert() clips it to near white.
        grey = (np.asarray(image, dtype=np.float32) / 257).clip(0, 255).astype(np.uint8)
        return Image.fromarray(grey, "L").convert("RGB")
    if mode == "P" and "transparency" in image.info:
        image, mode = image.convert("RGBA"), "RGBA"
    if mode in ("RGBA", "RGBa", "LA", "La", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def clip_box(top: int, right: int, bottom: int, left: int, width: int, height: int) -> dict[str, int]:
    """A detector rectangle as an integer box inside the image, at least 1x1."""
    x = min(max(int(left), 0), width - 1)
    y = min(max(int(top), 0), height - 1)
    return {
        "x": x,
        "y": y,
        "width": max(1, min(int(right), width) - x),
        "height": max(1, min(int(bottom), height) - y),
    }


# faceQualitySchema (libs/contracts/src/common/face.ts) defines `sharpness` on the face box resized to this width.
SHARPNESS_WIDTH = 128


def face_quality(image: Image.Image, box: dict[str, int]) -> dict[str, Any]:
    """
    `faceWidth`: the box width in original pixels. `sharpness`: variance of the 3x3 Laplacian
    (0 1 0 / 1 -4 1 / 0 1 0, interior pixels only) of the 8-bit grayscale box (no margin), resized
    bilinearly to SHARPNESS_WIDTH px wide with the aspect ratio kept. Numpy only: a few ms per face.
    """
    area = (box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"])
    grey = image.crop(area).convert("L")
    height = max(1, round(box["height"] * SHARPNESS_WIDTH / box["width"]))
    grey = grey.resize((SHARPNESS_WIDTH, height), Image.Resampling.BILINEAR)
    return {"faceWidth": box["width"], "sharpness": round(laplacian_variance(np.asarray(grey, dtype=np.float64)), 2)}


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian over the pixels that have all four neighbours; 0 below 3x3."""
    if grey.shape[0] < 3 or grey.shape[1] < 3:
        return 0.0
    centre = grey[1:-1, 1:-1]
    lap = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * centre
    return float(lap.var())


def crop_box(image: Image.Image, box: dict[str, int], margin: float) -> dict[str, int]:
    """The face plus `margin` of its size on each side, clipped to the image: what crop_jpeg cuts out."""
    mx, my = round(box["width"] * margin), round(box["height"] * margin)
    x, y = max(0, box["x"] - mx), max(0, box["y"] - my)
    right = min(image.width, box["x"] + box["width"] + mx)
    bottom = min(image.height, box["y"] + box["height"] + my)
    return {"x": x, "y": y, "width": right - x, "height": bottom - y}


def crop_jpeg(image: Image.Image, box: dict[str, int], margin: float, quality: int, max_side: int) -> str:
    """The face plus `margin` of its size on each side, clipped to the image, as base64 JPEG."""
    area = crop_box(image, box, margin)
    crop = image.crop((area["x"], area["y"], area["x"] + area["width"], area["y"] + area["height"]))
    if max(crop.size) > max_side:
        crop.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=quality)
    return base64.b64encode(out.getvalue()).decode("ascii")
