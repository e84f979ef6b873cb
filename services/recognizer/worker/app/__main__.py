"""`python -m app`: serve the worker with the GLIMPSE_WORKER_* settings."""

import logging
import sys

import uvicorn
from PIL import Image
from pydantic import ValidationError

from .config import Settings
from .main import create_app


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as e:
        sys.exit(f"invalid GLIMPSE_WORKER_* environment variables:\n{e}")
    # Only our logger follows LOG_LEVEL: Pillow logs every PNG chunk at debug.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("glimpse").setLevel(settings.log_level.upper())
    # Pillow's own decompression-bomb check (an error at twice this) then agrees with ours.
    Image.MAX_IMAGE_PIXELS = settings.max_pixels
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
