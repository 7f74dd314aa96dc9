"""The codec base images every baseline (and the scaffold) builds on.

``astrocompress/codec-base:<hash>``: the root image (``rootfs``), a venv
``/opt/venv`` with numpy + imagecodecs installed from the host wheelhouse
(``--no-index``), the codec SDK installed from its wheel
(``evaluator.images.sdk_wheel``: ``from challenge.sdk import serve`` works
inside, and ``challenge.sdk.coding`` where constriction is; nothing else of the platform), a
non-root user ``codec`` (uid 10001),
``PATH=/opt/venv/bin:...`` and workdir ``/work``.
``astrocompress/codec-base-torch:<hash>`` adds the CPU torch wheel; it is
built only when asked for. ``astrocompress/codec-base-archive:<hash>`` is the
python variant on a root that also holds the archive tools (Debian's
``libcfitsio-bin``: fpack/funpack; ``bzip2``, ``zstd``, ``xz-utils``), for
the archive baselines (``baselines.archive``) and any codec that runs them.

Each tag is a hash of everything that goes in (root image tag, wheel names
and hashes, Dockerfile text, the SDK wheel's hash), so an image is rebuilt
only when one of those changes, and ``docker image inspect`` is checked first.
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Literal

from evaluator.core.checksums import file_sha256
from evaluator.core.settings import cache_dir
from evaluator.core.versions import CONTRACT_VERSION
from evaluator.images.build_lock import build_lock
from evaluator.images.engine import Progress, docker_client, hash_parts, image_exists, report, stream_build
from evaluator.images.rootfs import ensure_rootfs_image
from evaluator.images.sdk_wheel import REQUIREMENT as SDK_REQUIREMENT
from evaluator.images.sdk_wheel import build_sdk_wheel
from evaluator.images.wheelhouse import Wheelhouse, ensure_wheelhouse

Variant = Literal["python", "torch", "archive"]

REPOSITORIES: dict[str, str] = {
    "python": "astrocompress/codec-base",
    "torch": "astrocompress/codec-base-torch",
    "archive": "astrocompress/codec-base-archive",
}
# Debian packages a variant's root image adds to python3 (same bookworm archive as the host's tools).
ROOT_PACKAGES: dict[str, tuple[str, ...]] = {"archive": ("libcfitsio-bin", "bzip2", "zstd", "xz-utils")}
LABEL_INPUTS = "org.astrocompress.inputs"
LABEL_CONTRACT = "org.astrocompress.contract_version"

def _template(name: str) -> bytes:
    return resources.files("evaluator.images").joinpath(name).read_bytes()


def _inputs_hash(root_tag: str, root_id: str, wheels: Wheelhouse, sdk_wheel: Path) -> str:
    parts: list[bytes | str] = [CONTRACT_VERSION, root_tag, root_id, *wheels.fingerprint()]
    parts += [_template("codec-base.Dockerfile"), _template("ensure-python.sh")]
    parts += [sdk_wheel.name, file_sha256(sdk_wheel)]
    return hash_parts(parts)


def ensure_base_image(variant: Variant = "python", *, progress: Progress | None = None) -> str:
    """Return the tag of the codec base image, building whatever is missing.

    The first call on a machine debootstraps Debian, downloads the wheels and
    builds (1-2 minutes); later calls only inspect the engine.
    """
    client = docker_client()
    with build_lock():
        root_tag = ensure_rootfs_image(progress=progress, client=client, extra=ROOT_PACKAGES.get(variant, ()))
        root_id = str(client.api.inspect_image(root_tag)["Id"])
        wheels = ensure_wheelhouse("torch" if variant == "torch" else "python", progress=progress)
        sdk_wheel = build_sdk_wheel(cache_dir() / "sdk-wheel")
        digest = _inputs_hash(root_tag, root_id, wheels, sdk_wheel)
        tag = f"{REPOSITORIES[variant]}:{digest[:12]}"
        if image_exists(client, tag):
            return tag
        report(progress, f"building {tag} from {root_tag}")
        context = Path(tempfile.mkdtemp(prefix="codec-base-", dir=cache_dir()))
        try:
            _fill_context(context, wheels, sdk_wheel)
            stream_build(
                client, context, tag,
                buildargs={"BASE_IMAGE": root_tag},
                labels={LABEL_INPUTS: digest, LABEL_CONTRACT: CONTRACT_VERSION},
                progress=progress,
            )
        finally:
            shutil.rmtree(context, ignore_errors=True)
        return tag


def _fill_context(context: Path, wheels: Wheelhouse, sdk_wheel: Path) -> None:
    (context / "Dockerfile").write_bytes(_template("codec-base.Dockerfile"))
    (context / "ensure-python.sh").write_bytes(_template("ensure-python.sh"))
    (context / "requirements.txt").write_text("\n".join([*wheels.requirements, SDK_REQUIREMENT]) + "\n")
    wheel_dir = context / "wheels"
    wheel_dir.mkdir()
    for src in [*(wheels.folder / name for name, _ in wheels.wheels), sdk_wheel]:
        try:
            (wheel_dir / src.name).hardlink_to(src)
        except OSError:
            shutil.copy2(src, wheel_dir / src.name)
