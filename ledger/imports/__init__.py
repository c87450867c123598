"""Bank statement imports (issue 14): read CSV and OFX statements, preview them, import every row or none.

``parsing`` (CSV) and ``ofx`` read files; ``services`` holds the owner's steps and the job;
``uploads`` keeps the upload in memory. See ``services`` for where the file's bytes live.
"""

from ledger.imports.parsing import ENCODINGS, Mapping
from ledger.imports.rows import Entry, StatementError
from ledger.imports.services import (
    ImportNotReady,
    Preview,
    can_retry,
    change_mapping,
    confirm_import,
    discard_import,
    expire_imports,
    import_preview,
    preview,
    read_upload,
    retry_import,
    run_import,
    upload_statement,
)

__all__ = [
    "ENCODINGS", "Entry", "ImportNotReady", "Mapping", "Preview", "StatementError", "can_retry", "change_mapping",
    "confirm_import", "discard_import", "expire_imports", "import_preview", "preview", "read_upload", "retry_import",
    "run_import", "upload_statement",
]
