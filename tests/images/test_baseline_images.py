"""The five classical baselines as real codec images, run under the sandbox flags.

Each image must round-trip 2D/3D/4D uint16 arrays bit-exactly across two
separate containers (encode, decode) that share only the bitstreams, and
write byte for byte the bitstream ``baselines.classical`` writes in process.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from images_jsonl_client import CodecContainer

from baselines.baseline_images import baseline_image_folders, stage_context
from baselines.classical import CODECS
from baselines.registry import BASELINES
from evaluator.core.versions import CONTRACT_VERSION
from evaluator.images import BuiltImage

pytestmark = pytest.mark.docker


def _arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(42)

    def frame(*shape: int) -> np.ndarray:
        sky = 1000 + rng.poisson(40, size=shape)
        sky[..., 5:8, 9:12] += 20000  # a "star"
        return np.clip(sky, 0, 65535).astype(np.uint16)

    return {"two": frame(48, 64), "three": frame(3, 24, 40), "four": frame(2, 3, 16, 20)}


def test_one_folder_per_classical_codec() -> None:
    folders = {n: f for n, f in baseline_image_folders().items() if BASELINES[n].kind == "classical"}
    assert sorted(n for n in folders if not BASELINES[n].near_lossless) == sorted(CODECS)
    for name, folder in folders.items():
        assert (folder / "codec.toml").is_file()
        text = (stage_context(BASELINES[name]) / "Dockerfile").read_text()
        assert "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n" in text
        assert f'"baselines.serve", "{name}"]' in text
        assert "USER codec" in text


@pytest.mark.parametrize("codec", sorted(CODECS))
def test_image_roundtrips_and_matches_in_process(
    codec: str, baseline_images: dict[str, BuiltImage], tmp_path: Path
) -> None:
    image = baseline_images[codec].tag
    arrays = _arrays()
    enc_in, enc_out, dec_in, dec_out = (tmp_path / d for d in ("enc_in", "enc_out", "dec_in", "dec_out"))
    for d in (enc_in, enc_out, dec_in, dec_out):
        d.mkdir()
    for key, x in arrays.items():
        np.save(enc_in / f"{key}.npy", x)

    encoder = CodecContainer(image, "encode", enc_in, enc_out)
    assert encoder.ready == {"ready": True, "name": codec, "version": encoder.ready["version"]}
    for key in arrays:
        assert encoder.request(key, f"{key}.npy", f"{key}.bin") == {"id": key, "ok": True}
    # A bad item fails alone; the server keeps serving.
    bad = encoder.request("missing", "missing.npy", "missing.bin")
    assert bad["id"] == "missing" and bad["ok"] is False and "No such file" in bad["error"]
    # The input mount is read-only: writing there is refused, not silently done.
    ro = encoder.request("ro", "two.npy", "../in/evil.bin")
    assert ro["ok"] is False and not (enc_in / "evil.bin").exists()
    rc, rest, _ = encoder.close()
    assert rc == 0 and rest == ""  # EOF -> exit 0, nothing but protocol on stdout
    assert sorted(p.name for p in enc_out.iterdir()) == sorted(f"{k}.bin" for k in arrays)

    for key in arrays:  # the decoder sees the bitstreams and nothing else
        shutil.copy(enc_out / f"{key}.bin", dec_in / f"{key}.bin")
    decoder = CodecContainer(image, "decode", dec_in, dec_out)
    assert decoder.ready["ready"] is True
    for key in arrays:
        assert decoder.request(key, f"{key}.bin", f"{key}.npy") == {"id": key, "ok": True}
    rc, rest, _ = decoder.close()
    assert rc == 0 and rest == ""

    for key, x in arrays.items():
        y = np.load(dec_out / f"{key}.npy", allow_pickle=False)
        assert y.dtype == x.dtype and y.shape == x.shape and np.array_equal(x, y), key
        assert (enc_out / f"{key}.bin").read_bytes() == CODECS[codec].encode(x), key


def test_image_labels_and_user(baseline_images: dict[str, BuiltImage]) -> None:
    import docker

    client = docker.from_env()
    for codec, built in baseline_images.items():
        info = client.api.inspect_image(built.tag)
        assert built.image_id == info["Id"] and built.size_bytes == info["Size"] > 0
        assert info["Config"]["User"] == "codec"
        assert info["Config"]["Entrypoint"] == ["/opt/venv/bin/python", "-m", "baselines.serve", codec]
        labels = info["Config"]["Labels"]
        assert labels["org.astrocompress.contract_version"] == CONTRACT_VERSION
        assert labels["org.astrocompress.codec"] == codec
        assert built.tag.startswith(f"astrocompress/codec-{codec}:")


def test_bad_mode_exits_nonzero_with_usage(baseline_images: dict[str, BuiltImage], tmp_path: Path) -> None:
    import subprocess

    proc = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--read-only", "--cap-drop", "ALL",
         baseline_images["rice"].tag, "compress"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == "" and "usage" in proc.stderr
