"""The upload of a statement stays in memory and stops at LEDGER_IMPORT_MAX_BYTES.

Django writes uploads above FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; a statement holds
personal information, so this handler keeps every byte in memory (at most the limit, then it
drops the file and says so) and the file never touches the disk. Install it before the request's
body is read: ``use_statement_upload(request)`` first thing in the view, which therefore takes
CSRF protection in hand itself (``csrf_protect`` after it).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest


class StatementUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = settings.LEDGER_IMPORT_MAX_BYTES
        self.buffer = BytesIO()
        self.size = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer, self.size = BytesIO(), 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.size += len(raw_data)
        if self.size > self.limit:
            if self.request is not None:
                self.request.statement_too_big = True  # type: ignore[attr-defined]
            self.buffer = BytesIO()
            raise SkipFile
        self.buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(file=self.buffer, field_name=self.field_name, name=self.file_name,
                                    content_type=self.content_type, size=file_size, charset=self.charset,
                                    content_type_extra=self.content_type_extra)


def use_statement_upload(request: HttpRequest) -> None:
    request.upload_handlers = [StatementUploadHandler(request)]


def too_big(request: HttpRequest) -> bool:
    return bool(getattr(request, "statement_too_big", False))
