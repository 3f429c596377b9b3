"""Photo storage: uploads checked and re-encoded with Pillow, stored under random names."""

from __future__ import annotations

import io
import os
import secrets
import warnings
from dataclasses import dataclass

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
SIZES = {"thumb": 480, "display": 1600}


class PhotoError(ValueError):
    """An upload that is not a photo we accept; the message is shown to the user."""


@dataclass
class StoredPhoto:
    stored_name: str
    width: int
    height: int


def upload_folder() -> str:
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    return folder


def photo_path(stored_name: str, size: str) -> str:
    """The file of one size of a stored photo."""
    if size not in SIZES:
        raise KeyError(size)
    return os.path.join(upload_folder(), f"{stored_name}-{size}.jpg")


def store_photo(data: bytes) -> StoredPhoto:
    """Check an uploaded image and write its re-encoded sizes; raise PhotoError if refused."""
    from flask_babel import gettext as _

    max_pixels = current_app.config["MAX_IMAGE_PIXELS"]
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS) as probe:
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            if image.width * image.height > max_pixels:
                raise PhotoError(
                    _("Image trop grande : %(w)d × %(h)d pixels.", w=image.width, h=image.height)
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(
            _(
                "Image trop grande. Envoyez une photo de moins de %(mp)d millions de pixels.",
                mp=max_pixels // 1_000_000,
            )
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, PhotoError):
            raise
        raise PhotoError(_("Ce fichier n'est pas une photo JPEG, PNG ou WEBP lisible.")) from None
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB",):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    stored_name = secrets.token_hex(16)
    for size, longest in SIZES.items():
        copy = image.copy()
        copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
        # Re-encoding writes pixels only: EXIF, GPS and any trailing payload are dropped.
        copy.save(photo_path(stored_name, size), format="JPEG", quality=85, optimize=True)
    return StoredPhoto(stored_name=stored_name, width=image.width, height=image.height)


def delete_photo_files(stored_name: str) -> None:
    """Remove every size of a stored photo; a missing file is not an error."""
    for size in SIZES:
        try:
            os.remove(photo_path(stored_name, size))
        except FileNotFoundError:
            pass
