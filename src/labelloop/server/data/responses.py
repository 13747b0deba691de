"""Response shaping for the data API: JSON bodies, errors, ETags and caching.

ETags are built from the store's version (its change counter, read in the
same snapshot as the data) and what was asked (path, query string and
anything else the body depends on), so they change exactly when the
response could. Every data response is revalidated (``no-cache``): private
unless the data API is public; errors are never stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

JSON_TYPE = "application/json"
FORMATS = {
    "json": JSON_TYPE,
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}


def dumps(body: Any) -> bytes:
    """Compact UTF-8 JSON (no NaN: values are made finite before)."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def error(status: int, message: str, **details: Any) -> Response:
    """A JSON error ``{"error": message, ...details}`` that no cache keeps."""
    body = {"ok": False, "error": message, "status": status, **details}
    headers = {"Cache-Control": "no-store"}
    return Response(dumps(body), status, headers=headers, media_type=JSON_TYPE)


def cache_headers(public: bool) -> dict[str, str]:
    """Headers of a data response: revalidate every time; shared caches only if public."""
    if public:
        return {"Cache-Control": "public, no-cache"}
    return {"Cache-Control": "private, no-cache", "Vary": "Cookie, Authorization"}


def etag(version: str, request: Request, *extra: str) -> str:
    """A strong ETag for this version of the store and this request."""
    asked = "\n".join([request.url.path, str(request.url.query), *extra])
    digest = hashlib.sha256(asked.encode()).hexdigest()[:16]
    return f'"{version}-{digest}"'


def not_modified(request: Request, tag: str) -> bool:
    """Whether the request's If-None-Match already names ``tag``."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or tag in tags


def response_304(tag: str, public: bool) -> Response:
    """304 Not Modified with the same validators and cache headers."""
    return Response(status_code=304, headers={"ETag": tag, **cache_headers(public)})


def json_response(body: Any, headers: dict[str, str]) -> Response:
    """A 200 JSON response."""
    return Response(dumps(body), headers=headers, media_type=JSON_TYPE)


def streaming(
    chunks: Iterable[bytes], fmt: str, headers: dict[str, str], stack: ExitStack
) -> StreamingResponse:
    """Stream ``chunks``; ``stack`` (the open session) closes when the stream ends."""
    return StreamingResponse(_closing(chunks, stack), headers=headers, media_type=FORMATS[fmt])


def _closing(chunks: Iterable[bytes], stack: ExitStack) -> Iterator[bytes]:
    with stack:
        yield from chunks


class StreamCutError(RuntimeError):
    """An export stopped part-way; raised so the client sees an incomplete response."""


def cut_short(chunks: Iterable[bytes], fmt: str) -> Iterator[bytes]:
    """Pass ``chunks`` through; if a later chunk fails, say so in the body, then abort.

    The closing line names the error, and the exception ends the response
    without its final chunk, so no client takes a cut export for a whole one.
    """
    from labelloop.store.query.errors import QueryError

    try:
        yield from chunks
    except QueryError as error:
        message = f"export cut short: {error}"
        if fmt == "ndjson":
            yield dumps({"error": message, "truncated": True}) + b"\n"
        else:
            yield f"# {message}\n".encode()
        raise StreamCutError(message) from error


def download_name(name: str, fmt: str) -> dict[str, str]:
    """A Content-Disposition naming the file an export saves as."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "export"
    return {"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'}


def split_format(name: str, formats: Iterable[str]) -> tuple[str, str] | None:
    """``"labels.csv"`` → ``("labels", "csv")``, or None when the extension is not served."""
    base, dot, fmt = name.rpartition(".")
    if not dot or fmt not in formats:
        return None
    return base, fmt
