"""Shared pieces of the campaign-history tests: Docker check, the padded test codec, a local Dask cluster."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from evaluator.results.records import ResultStore

CODECS = Path(__file__).parent / "codecs"
CONTRACT = Path(__file__).parent.parent / "sandbox" / "hostile" / "_common" / "contract.py"


def docker_ok() -> bool:
    try:
        import docker  # noqa: PLC0415

        docker.from_env().ping()
        return True
    except Exception:  # noqa: BLE001
        return False


def build_padded(root: Path) -> str:
    """Build the nondeterministic (random padding, lossless) test codec; its tag."""
    from evaluator.images import build_codec_image  # noqa: PLC0415

    ctx = root / "padded"
    shutil.copytree(CODECS / "padded", ctx)
    shutil.copy(CONTRACT, ctx / "contract.py")
    return build_codec_image(ctx, tag="astrocompress-test/campaign-padded:latest").tag


def local_cluster(n_workers: int = 2, allowed_failures: int = 3) -> Any:
    import dask  # noqa: PLC0415
    from distributed import LocalCluster  # noqa: PLC0415

    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}):
        return LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1, dashboard_address=None)


def sizes(store: ResultStore) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """(submission, track) -> [(item id, compressed bytes)] of every record in ``store``."""
    out = {}
    for key in store.keys():
        rec = store.read(key)
        items: pd.DataFrame = store.items(key)
        out[(rec.submission, rec.track)] = [(str(i), int(b)) for i, b in zip(items["item_id"],
                                                                              items["compressed_bytes"])]
    return out


def remove_own_containers(run_dir: Path) -> int:
    """Remove the evaluator containers whose folders are under ``run_dir`` (a killed evaluator's leftovers).

    Only containers this test made: other evaluators on the shared engine use other run folders.
    """
    import docker  # noqa: PLC0415

    from evaluator.sandbox.policy import LABEL  # noqa: PLC0415

    client = docker.from_env()
    removed = 0
    for c in client.api.containers(all=True, filters={"label": LABEL}):
        mounts = [m.get("Source", "") for m in client.api.inspect_container(c["Id"]).get("Mounts", [])]
        if any(m.startswith(str(run_dir)) for m in mounts):
            client.api.remove_container(c["Id"], force=True)
            removed += 1
    return removed


def remove_own_probes(image_id: str, since: float, until: float) -> int:
    """Remove never-started image probes (``evaluator.sandbox.image``) of ``image_id`` created in [since, until].

    A process killed between creating and removing its probe leaves it; the
    window is the killed campaign's lifetime, the image is this test's.
    """
    import docker  # noqa: PLC0415

    from evaluator.sandbox.policy import LABEL  # noqa: PLC0415

    client = docker.from_env()
    removed = 0
    for c in client.api.containers(all=True, filters={"label": f"{LABEL}=probe", "status": "created"}):
        if c.get("ImageID") == image_id and since - 1 <= c.get("Created", 0) <= until + 1:
            client.api.remove_container(c["Id"], force=True)
            removed += 1
    return removed
