"""Gradio's front-end build served from memory: compressed once, cached by browsers for good.

A cold page of the board fetches ~90 files of Gradio's front-end build
(``/assets/<name>``: one script and stylesheet per component type). Gradio
serves each through FastAPI's router, a file read in a worker thread and a
Brotli pass on every request: 10-18 ms of the server's CPU per file, on the
same cores the board's own work runs on. The build's file names carry their
content hash, so they never change under a name; this ASGI middleware
answers them from memory, compressed once per file and encoding, with
``Cache-Control: immutable`` so a returning visitor does not ask again.

Only names of files in the installed build are answered; anything else
(the page, the config, the API, uploaded files) goes on to Gradio untouched.
Passed to Gradio as ``app_kwargs={"middleware": [asset_middleware()]}``
(``leaderboard.app.page.launch_kwargs``).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
import brotli
import gradio
from starlette.middleware import Middleware

BUILD_DIR = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"
PREFIX = "/assets/"
# what Gradio's own Brotli middleware compresses (so an uncompressed answer here is one it would not touch)
COMPRESSIBLE = frozenset({".html", ".htm", ".js", ".css", ".json", ".md", ".txt", ".csv", ".tsv", ".xml", ".svg"})
BROTLI_QUALITY = 5  # once per file and process: 6 ms for the largest script (quality 9: 43 ms, 1 % smaller)
GZIP_LEVEL = 9
MIN_COMPRESS = 400  # bytes: smaller files go as they are (as Gradio's own middleware does)
CACHE_CONTROL = "public, max-age=31536000, immutable"  # the name changes when the content does

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _media_type(name: str) -> str:
    if name.endswith((".js", ".mjs")):
        return "text/javascript; charset=utf-8"  # module scripts need a JavaScript type
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith(("+xml", "/json")) else kind


@dataclass
class Asset:
    """One build file: its bytes, and each encoding of them once asked for."""

    path: Path
    media_type: str
    raw: bytes
    etag: str
    encoded: dict[str, bytes] = field(default_factory=dict)

    def body(self, encoding: str) -> bytes:
        hit = self.encoded.get(encoding)
        if hit is None:
            if encoding == "br":
                hit = brotli.compress(self.raw, mode=brotli.MODE_TEXT, quality=BROTLI_QUALITY)
            elif encoding == "gzip":
                hit = gzip.compress(self.raw, compresslevel=GZIP_LEVEL, mtime=0)
            else:
                hit = self.raw
            self.encoded[encoding] = hit
        return hit


class AssetCache:
    """The build's files by name, read on first request and kept (the build is a fixed set of files)."""

    def __init__(self, directory: Path = BUILD_DIR) -> None:
        self.directory = directory
        files = directory.iterdir() if directory.is_dir() else iter(())
        self.names = frozenset(p.name for p in files if p.is_file())
        self._lock = threading.Lock()
        self._assets: dict[str, Asset] = {}
        self.served = 0  # requests answered from memory (for tests and the benchmark)

    def cached(self, name: str) -> Asset | None:
        """The asset if it has been read already (no file access: safe on the event loop)."""
        return self._assets.get(name)

    def get(self, name: str) -> Asset | None:
        """The asset called ``name``, or None when the build has no such file."""
        if name not in self.names:
            return None
        with self._lock:
            hit = self._assets.get(name)
            if hit is None:
                path = self.directory / name
                raw = path.read_bytes()
                hit = Asset(path, _media_type(name), raw, '"' + hashlib.sha1(raw).hexdigest()[:20] + '"')
                self._assets[name] = hit
            return hit


def _encoding(asset: Asset, accept: str) -> str:
    """The encoding to send ``asset`` in, given the request's Accept-Encoding."""
    if asset.path.suffix not in COMPRESSIBLE or len(asset.raw) < MIN_COMPRESS:
        return "identity"
    offered = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return "br" if "br" in offered else "gzip" if "gzip" in offered else "identity"


class FrontendAssets:
    """ASGI middleware: ``GET``/``HEAD /assets/<name of a build file>`` answered from ``AssetCache``."""

    def __init__(self, app: ASGIApp, cache: AssetCache | None = None) -> None:
        self.app = app
        self.cache = cache or SHARED_CACHE

    def _name(self, scope: Scope) -> str | None:
        if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
            return None
        path: str = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        if not path.startswith(PREFIX) or path[len(PREFIX):] not in self.cache.names:
            return None
        return path[len(PREFIX):]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = self._name(scope)
        # a first read or compression (Plotly's bundle: 4.6 MB) runs in a worker thread, never on the event loop
        asset = None if name is None else (self.cache.cached(name)
                                           or await anyio.to_thread.run_sync(self.cache.get, name))
        if asset is None:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        out = [(b"cache-control", CACHE_CONTROL.encode()), (b"etag", asset.etag.encode()),
               (b"vary", b"Accept-Encoding")]
        if headers.get("if-none-match") == asset.etag:
            await send({"type": "http.response.start", "status": 304, "headers": out})
            await send({"type": "http.response.body", "body": b""})
            return
        encoding = _encoding(asset, headers.get("accept-encoding", ""))
        body = asset.encoded.get(encoding)
        if not body:
            body = await anyio.to_thread.run_sync(asset.body, encoding)
        out += [(b"content-type", asset.media_type.encode()), (b"content-length", str(len(body)).encode())]
        if encoding != "identity":  # set: Gradio's own Brotli middleware passes the body on as it is
            out.append((b"content-encoding", encoding.encode()))
        self.cache.served += 1
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


SHARED_CACHE = AssetCache()


def asset_middleware(cache: AssetCache | None = None) -> Middleware:
    """The middleware entry for ``FastAPI(middleware=[...])`` (Gradio's ``launch(app_kwargs=...)``)."""
    return Middleware(FrontendAssets, cache=cache)  # None: the process-wide ``SHARED_CACHE``


__all__ = ["AssetCache", "FrontendAssets", "asset_middleware"]
