"""CSV files staff download, the one copy: UTF-8 with a byte-order mark (so that Excel reads it as
UTF-8), and every cell guarded so a spreadsheet shows it as text, never runs it as a formula.

csv_response() builds a small file at once; streamed_csv_response() writes a large one while it is
sent, from a generator of rows that runs in the request's context (it may query the database).
"""

import csv
import io

from flask import Response, stream_with_context

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 16 * 1024  # characters written out at a time when streaming


def csv_cell(value):
    """A cell a spreadsheet shows as text: one that starts like a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows):
    """The file's text in pieces: the BOM, then `rows` (the header first), each cell guarded."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
        if out.tell() >= CHUNK:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _attachment(body, filename):
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(rows, filename):
    """A CSV attachment of `rows`, built at once (a small export)."""
    return _attachment("".join(csv_text(rows)), filename)


def streamed_csv_response(rows, filename):
    """A CSV attachment of `rows` (an iterable that may fetch in chunks), written while it is sent."""
    return _attachment(stream_with_context(csv_text(rows)), filename)
