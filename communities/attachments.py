"""Uploaded documents (a written proxy authorisation, a photo): kept in the database, never in
a public folder, and served only through a view that asks who may see them.

An upload is accepted only when its content is what its name says: a JPEG, PNG or WebP image
that Pillow can read whole, or a PDF with its header and end-of-file mark. The size is capped.
Anything else gets a clear message and nothing is stored.
"""

import hashlib
import io
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

USER = settings.AUTH_USER_MODEL

MAX_BYTES = 5 * 1024 * 1024  # a phone photo of a signed page, or a scanned PDF
# The content types we take, by what the bytes are, and the names they may carry.
KINDS = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
}
PILLOW_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class Attachment(models.Model):
    """One uploaded document: its bytes, what they are, and who uploaded it where."""

    community = models.ForeignKey("communities.Community", models.PROTECT, related_name="+")
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_by = models.ForeignKey(USER, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "communities"
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def sniff(data: bytes) -> str | None:
    """What the bytes are (one of KINDS), read from the content alone; None if none of them."""
    if data.startswith(b"%PDF-"):
        # A whole PDF ends with its end-of-file mark (perhaps followed by a line break).
        return "application/pdf" if b"%%EOF" in data[-1024:] else None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = PILLOW_FORMATS.get(image.format or "")
            image.verify()  # reads the whole file: a truncated or forged image fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return kind


def check_upload(upload) -> tuple[str, str, bytes]:
    """(name, content type, bytes) of an acceptable upload; ValidationError with the reason."""
    if upload is None:
        raise ValidationError(gettext("Please choose a file."))
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(
            gettext("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_BYTES)}
        )
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(
            gettext("The file is too large; the limit is %(limit)s.")
            % {"limit": filesizeformat(MAX_BYTES)}
        )
    if not data:
        raise ValidationError(gettext("The file is empty."))
    name = PurePath(str(upload.name or "")).name[-120:] or "upload"
    suffix = PurePath(name).suffix.lower()
    kind = sniff(data)
    if kind is None:
        raise ValidationError(gettext("Please upload a photo (JPEG, PNG or WebP) or a PDF."))
    if suffix not in KINDS[kind]:
        raise ValidationError(
            gettext(
                "The file's content does not match its name (%(name)s): please upload the "
                "original file."
            )
            % {"name": name}
        )
    return name, kind, data


def store(uploaded_by, community, upload) -> Attachment:
    """Check an upload and keep it (the caller's service checks permission and audits)."""
    name, kind, data = check_upload(upload)
    return Attachment.objects.create(
        community=community,
        name=name,
        content_type=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
        uploaded_by=uploaded_by,
    )
