"""The codec base images every baseline (and the scaffold) builds on.

``astrocompress/codec-base:<hash>``: the root image (``rootfs``), a venv
``/opt/venv`` with numpy + imagecodecs installed from the host wheelhouse
(``--no-index``), the codec SDK in its site-packages (so ``from
challenge.sdk import serve`` works inside; nothing else of the platform), a
non-root user ``codec`` (uid 10001),
``PATH=/opt/venv/bin:...`` and workdir ``/work``.
``astrocompress/codec-base-torch:<hash>`` adds the CPU torch wheel; it is
built only when asked for. ``astrocompress/codec-base-archive:<hash>`` is the
python variant on a root that also holds the archive tools (Debian's
``libcfitsio-bin``: fpack/funpack; ``bzip2``, ``zstd``, ``xz-utils``), for
the archive baselines (``baselines.archive``) and any codec that runs them.

The SDK module is copied; the packages' ``__init__`` files and the
``challenge.sdk`` alias are generated (the host's import things the image lacks).

Each tag is a hash of everything that goes in (root image tag, wheel names
and hashes, Dockerfile text, copied source files), so an image is rebuilt
only when one of those changes, and ``docker image inspect`` is checked first.
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import resources
from pathlib import Path
from typing import Literal

from evaluator.checksums import file_sha256
from evaluator.images.build_lock import build_lock
from evaluator.images.engine import Progress, docker_client, hash_parts, image_exists, report, stream_build
from evaluator.images.rootfs import ensure_rootfs_image
from evaluator.images.wheelhouse import Wheelhouse, ensure_wheelhouse
from evaluator.settings import cache_dir
from evaluator.versions import CONTRACT_VERSION, PLATFORM_VERSION

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

# Modules copied into the image's site-packages (paths under the evaluator
# package); they import nothing but the stdlib, numpy and (coding) constriction.
# Participant images get the SDK and nothing of ours besides it (the baselines
# add their own modules in their own images); the torch variant adds the
# entropy-coding layer, offered to participants as part of the SDK.
SOURCE_FILES: dict[str, tuple[str, ...]] = {
    "python": ("codec_sdk.py", "named_table.py"),
    "torch": ("codec_sdk.py", "named_table.py", "coding/*.py"),
    "archive": ("codec_sdk.py", "named_table.py"),
}
# Generated, not copied: the host packages import things the image lacks.
# ``challenge.sdk`` is the SDK's public name, as on the host.
GENERATED_FILES: dict[str, str] = {
    "evaluator/__init__.py": '"""AstroCompress Challenge: the codec SDK (image copy)."""\n',
    "challenge/__init__.py": f'"""AstroCompress Challenge: the codec SDK (image copy)."""\n\n__version__ = "{PLATFORM_VERSION}"\n',
    "challenge/sdk/__init__.py": '"""The codec SDK by its public name."""\n\n'
                                 "from evaluator.codec_sdk import (  # noqa: F401\n"
                                 "    BOUND_KEYWORD, Decoder, Encoder, RequestError, serve, supports_bound)\n",
}
# The torch variant also offers the coding layer as ``challenge.sdk.coding``.
TORCH_GENERATED_FILES: dict[str, str] = {
    "challenge/sdk/coding.py": '"""The SDK\'s entropy-coding layer by its public name."""\n\n'
                               "from evaluator.coding import *  # noqa: F403\n"
                               "from evaluator.coding import __all__ as __all__  # noqa: PLC0414\n",
}


def generated_files(variant: Variant) -> dict[str, str]:
    return {**GENERATED_FILES, **(TORCH_GENERATED_FILES if variant == "torch" else {})}


def _template(name: str) -> bytes:
    return resources.files("evaluator.images").joinpath(name).read_bytes()


def _source_files(variant: Variant) -> list[Path]:
    return sorted(p for pattern in SOURCE_FILES[variant] for p in _evaluator_root().glob(pattern))


def _evaluator_root() -> Path:
    return Path(str(resources.files("evaluator")))


def _inputs_hash(root_tag: str, root_id: str, wheels: Wheelhouse, variant: Variant) -> str:
    parts: list[bytes | str] = [CONTRACT_VERSION, root_tag, root_id, *wheels.fingerprint()]
    parts += [_template("codec-base.Dockerfile"), _template("ensure-python.sh")]
    for path in _source_files(variant):
        parts += [path.relative_to(_evaluator_root()).as_posix(), file_sha256(path)]
    for path, text in sorted(generated_files(variant).items()):
        parts += [path, text]
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
        digest = _inputs_hash(root_tag, root_id, wheels, variant)
        tag = f"{REPOSITORIES[variant]}:{digest[:12]}"
        if image_exists(client, tag):
            return tag
        report(progress, f"building {tag} from {root_tag}")
        context = Path(tempfile.mkdtemp(prefix="codec-base-", dir=cache_dir()))
        try:
            _fill_context(context, wheels, variant)
            stream_build(
                client, context, tag,
                buildargs={"BASE_IMAGE": root_tag},
                labels={LABEL_INPUTS: digest, LABEL_CONTRACT: CONTRACT_VERSION},
                progress=progress,
            )
        finally:
            shutil.rmtree(context, ignore_errors=True)
        return tag


def _fill_context(context: Path, wheels: Wheelhouse, variant: Variant) -> None:
    (context / "Dockerfile").write_bytes(_template("codec-base.Dockerfile"))
    (context / "ensure-python.sh").write_bytes(_template("ensure-python.sh"))
    (context / "requirements.txt").write_text("\n".join(wheels.requirements) + "\n")
    wheel_dir = context / "wheels"
    wheel_dir.mkdir()
    for name, _ in wheels.wheels:
        src = wheels.folder / name
        try:
            (wheel_dir / name).hardlink_to(src)
        except OSError:
            shutil.copy2(src, wheel_dir / name)
    for path, text in generated_files(variant).items():
        target = context / "site-packages" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    for path in _source_files(variant):
        target = context / "site-packages" / "evaluator" / path.relative_to(_evaluator_root())
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)

