import csv
import io
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.config import Settings
from app.faces import FaceEngine
from app.main import create_app

REPO = Path(__file__).resolve().parents[4]
FIXTURES = Path(os.environ.get("GLIMPSE_FIXTURES") or REPO.parent / "shared" / "fixtures" / "faces")
MISSING = f"no fixture faces at {FIXTURES} (set GLIMPSE_FIXTURES): the tests that need photos are SKIPPED"


def pytest_report_header() -> str | None:
    return None if (FIXTURES / "MANIFEST.tsv").is_file() else f"WARNING: {MISSING}"


def pytest_terminal_summary(terminalreporter) -> None:
    if not (FIXTURES / "MANIFEST.tsv").is_file():
        terminalreporter.write_line(f"WARNING: {MISSING}", red=True, bold=True)


@pytest.fixture(scope="session")
def photos() -> list[tuple[str, Path]]:
    """(identity, path) of every fixture photo with one expected face, in MANIFEST order."""
    manifest = FIXTURES / "MANIFEST.tsv"
    if not manifest.is_file():
        pytest.skip(MISSING)
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(r["identity"], FIXTURES / r["relative_path"]) for r in rows if r.get("faces_expected", "1") == "1"]


@pytest.fixture(scope="session")
def face_photo(photos) -> Image.Image:
    with Image.open(photos[0][1]) as image:
        return image.convert("RGB")


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    engine = FaceEngine()
    engine.load()
    return engine


@pytest.fixture(scope="session")
def client(engine):
    # one in-process engine: the tests' own FaceEngine; the pool has its own test
    with TestClient(create_app(Settings(processes=1), engine)) as client:
        yield client


def make_client(engine: FaceEngine, **settings) -> TestClient:
    return TestClient(create_app(Settings(**{"processes": 1, **settings}), engine))


def image_bytes(image: Image.Image, fmt: str = "JPEG", **kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()
