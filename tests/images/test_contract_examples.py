"""The contract's non-Python example really is a working codec (CONTRACT.md §9)."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import numpy as np
import pytest
from images_jsonl_client import CodecContainer

from evaluator.images import build_codec_image

pytestmark = pytest.mark.docker

CONTRACT = Path(__file__).resolve().parents[2] / "challenge" / "CONTRACT.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", CONTRACT.read_text(), flags=re.S)


def test_contract_is_versioned() -> None:
    assert "contract_version: 2" in CONTRACT.read_text()


def test_shell_store_codec_from_the_contract(base_image: str, tmp_path: Path) -> None:
    (script,) = _blocks("sh")
    dockerfile = next(b for b in _blocks("dockerfile") if "store.sh" in b)
    folder = tmp_path / "codec"
    folder.mkdir()
    (folder / "store.sh").write_text(script)
    (folder / "Dockerfile").write_text(dockerfile)
    (folder / "codec.toml").write_text(f'name = "sh-store-{uuid.uuid4().hex[:6]}"\n')
    built = build_codec_image(folder)
    try:
        x = (np.arange(6 * 7 * 8) * 1237 % 65536).astype(np.uint16).reshape(6, 7, 8)
        dirs = {d: tmp_path / d for d in ("ein", "eout", "din", "dout")}
        for d in dirs.values():
            d.mkdir()
        np.save(dirs["ein"] / "a.npy", x)
        enc = CodecContainer(built.tag, "encode", dirs["ein"], dirs["eout"])
        assert enc.ready == {"ready": True, "name": "sh-store", "version": "1"}
        assert enc.request("a", "a.npy", "a.bin") == {"id": "a", "ok": True}
        assert enc.request("b", "nope.npy", "b.bin")["ok"] is False
        assert enc.close()[:2] == (0, "")
        (dirs["din"] / "a.bin").write_bytes((dirs["eout"] / "a.bin").read_bytes())
        dec = CodecContainer(built.tag, "decode", dirs["din"], dirs["dout"])
        assert dec.request("a", "a.bin", "a.npy") == {"id": "a", "ok": True}
        assert dec.close()[:2] == (0, "")
        assert np.array_equal(np.load(dirs["dout"] / "a.npy", allow_pickle=False), x)
    finally:
        subprocess.run(["docker", "rmi", "-f", built.tag], capture_output=True, check=False)
