"""Upload limits and image downscaling."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from surveys.errors import UploadError
from surveys.media import check_upload, downscale_image
from surveys.model import FormDefinition, Question


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_downscale_keeps_ratio_and_format() -> None:
    small = downscale_image(_png(400, 200), 100)
    image = Image.open(io.BytesIO(small))
    assert (image.size, image.format) == ((100, 50), "PNG")


def test_small_images_are_left_alone() -> None:
    data = _png(50, 40)
    assert downscale_image(data, 100) == data


def test_check_upload_uses_max_pixels(all_types: FormDefinition) -> None:
    upload = check_upload(all_types.question("photo"), "photo.PNG", _png(2048, 1024))
    assert upload.extension == "png"
    assert Image.open(io.BytesIO(upload.data)).size == (1024, 512)


@pytest.mark.parametrize(
    ("filename", "data", "fragment"),
    [
        ("virus.exe", b"MZ", "type de fichier"),
        ("photo.png", b"not an image", "illisible"),
        ("photo.png", b"", "vide"),
    ],
)
def test_refused_uploads(
    all_types: FormDefinition, filename: str, data: bytes, fragment: str
) -> None:
    with pytest.raises(UploadError, match=fragment):
        check_upload(all_types.question("photo"), filename, data)


def test_size_limit_from_parameters() -> None:
    question = Question(name="doc", type="file", parameters={"max-size": "0.01"})
    with pytest.raises(UploadError, match="trop gros"):
        check_upload(question, "doc.pdf", b"x" * 20_000)
    assert check_upload(question, "doc.pdf", b"%PDF-1.4").extension == "pdf"


@pytest.mark.parametrize(
    ("filename", "data", "english"),
    [
        ("virus.exe", b"MZ", "This type of file is not accepted. Possible types: gif, jpeg"),
        ("photo.png", b"not an image", "This picture cannot be read."),
        ("photo.png", b"", "The file is empty."),
    ],
)
def test_refusals_speak_the_respondents_language(
    all_types: FormDefinition, filename: str, data: bytes, english: str
) -> None:
    with pytest.raises(UploadError, match=english):
        check_upload(all_types.question("photo"), filename, data, "en")
    # A language without its own messages gets the French ones, as the engine's.
    with pytest.raises(UploadError, match="Ce type|illisible|vide"):
        check_upload(all_types.question("photo"), filename, data, "ar")


def test_size_limit_in_english() -> None:
    question = Question(name="doc", type="file", parameters={"max-size": "0.01"})
    with pytest.raises(UploadError, match=r"The file is too big \(1 MB at most\)\."):
        check_upload(question, "doc.pdf", b"x" * 20_000, "en")
