"""The front-end build served from memory (``leaderboard.app.frontend_assets``)."""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

import brotli
import gradio as gr
import pytest
import requests
from gradio.brotli_middleware import BrotliMiddleware
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from leaderboard.app.frontend_assets import BUILD_DIR, CACHE_CONTROL, SHARED_CACHE, AssetCache, asset_middleware
from leaderboard.app.page import launch_kwargs

sys.path.insert(0, str(Path(__file__).parent))
from browser_support import free_port  # noqa: E402

SCRIPT = ("export const answer = () => 42;\n" * 400).encode()


@pytest.fixture()
def build(tmp_path: Path) -> Path:
    (tmp_path / "Index-abc123.js").write_bytes(SCRIPT)
    (tmp_path / "tiny-x1.js").write_bytes(b"export{};")
    (tmp_path / "font-f00.woff2").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "nested.js").write_bytes(SCRIPT)
    (tmp_path.parent / "secret.txt").write_text("not an asset")
    return tmp_path


def raw_get(tc: TestClient, path: str, encoding: str) -> tuple[dict[str, str], bytes]:
    """Headers and the body as sent (not decoded by the client)."""
    with tc.stream("GET", path, headers={"Accept-Encoding": encoding}) as answer:
        return dict(answer.headers), b"".join(answer.iter_raw())


def client(build: Path, *, gradio_brotli: bool = False) -> tuple[TestClient, AssetCache]:
    async def fallback(request):  # what Gradio's router would answer
        return PlainTextResponse("from the app " * 100, status_code=404 if "assets" in request.url.path else 200)

    cache = AssetCache(build)
    app = Starlette(routes=[Route("/{path:path}", fallback, methods=["GET", "HEAD", "POST"])],
                    middleware=[asset_middleware(cache)])
    if gradio_brotli:  # as Gradio stacks it: its Brotli middleware outside ours
        app.add_middleware(BrotliMiddleware, quality=4)
    return TestClient(app), cache


def test_brotli_gzip_and_plain_bodies_decode_to_the_file(build: Path) -> None:
    tc, cache = client(build)
    headers, body = raw_get(tc, "/assets/Index-abc123.js", "gzip, br")
    assert headers["content-encoding"] == "br" and headers["content-type"].startswith("text/javascript")
    assert headers["cache-control"] == CACHE_CONTROL and "immutable" in CACHE_CONTROL
    assert len(body) < len(SCRIPT) / 10 and brotli.decompress(body) == SCRIPT
    assert headers["content-length"] == str(len(body))
    headers, body = raw_get(tc, "/assets/Index-abc123.js", "gzip")
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == SCRIPT
    plain = tc.get("/assets/Index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == SCRIPT
    assert cache.served == 3


def test_small_and_binary_files_go_as_they_are(build: Path) -> None:
    tc, _ = client(build)
    font = tc.get("/assets/font-f00.woff2", headers={"Accept-Encoding": "br"})
    assert "content-encoding" not in font.headers and font.content == bytes(range(256)) * 8
    assert font.headers["content-type"] == "font/woff2"
    tiny = tc.get("/assets/tiny-x1.js", headers={"Accept-Encoding": "br"})
    assert "content-encoding" not in tiny.headers and tiny.content == b"export{};"


def test_revalidation_and_head(build: Path) -> None:
    tc, _ = client(build)
    first = tc.get("/assets/Index-abc123.js")
    again = tc.get("/assets/Index-abc123.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    head = tc.head("/assets/Index-abc123.js", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(len(SCRIPT))


@pytest.mark.parametrize("path", ["/assets/../secret.txt", "/assets/sub/nested.js", "/assets/missing-1.js",
                                  "/assets/", "/config", "/assets%2F..%2Fsecret.txt"])
def test_anything_but_a_build_file_goes_on_to_the_app(build: Path, path: str) -> None:
    tc, cache = client(build)
    answer = tc.get(path)
    assert "from the app" in answer.text and "not an asset" not in answer.text
    assert cache.served == 0


def test_only_reads_are_answered(build: Path) -> None:
    tc, cache = client(build)
    assert "from the app" in tc.post("/assets/Index-abc123.js").text and cache.served == 0


def test_not_compressed_twice_under_gradios_brotli_middleware(build: Path) -> None:
    tc, _ = client(build, gradio_brotli=True)
    headers, body = raw_get(tc, "/assets/Index-abc123.js", "br")
    assert headers["content-encoding"] == "br"
    assert brotli.decompress(body) == SCRIPT  # one decode gives the file: Gradio's passed ours on untouched
    headers, body = raw_get(tc, "/index.html", "br")
    assert headers["content-encoding"] == "br" and b"from the app" in brotli.decompress(body)  # the rest: Gradio's


def test_a_real_gradio_page_gets_its_build_from_memory() -> None:
    """A launched Blocks (as ``leaderboard.app.page.serve`` launches it): every asset of the page from memory."""
    with gr.Blocks() as demo:
        gr.Markdown("hello")
        gr.Dataframe([[1, 2]])
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True,
                            quiet=True, ssr_mode=False, **launch_kwargs())
    try:
        page = requests.get(url, timeout=30).text
        names = re.findall(r'(?:src|href)="\./assets/([^"?]+)"', page)
        assert names, "the page names no build assets"
        before = SHARED_CACHE.served
        for name in names:
            answer = requests.get(url + "assets/" + name, headers={"Accept-Encoding": "gzip"}, timeout=30)
            assert answer.status_code == 200, name
            assert answer.headers["cache-control"] == CACHE_CONTROL, name
            assert answer.content == (BUILD_DIR / name).read_bytes(), name
        assert SHARED_CACHE.served - before == len(names)
        assert requests.get(url + "config", timeout=30).json()["components"]  # the rest is Gradio's own
    finally:
        demo.close()
