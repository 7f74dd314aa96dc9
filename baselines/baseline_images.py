"""The baselines as real codec images, built from the registry.

Each baseline of ``baselines.registry.BASELINES`` has a folder
``baselines/images/<kind>/<name>/`` holding its ``codec.toml``; the
Dockerfile is its kind's one template (``<kind>/Dockerfile.template``) with
the baseline's name filled in. The build context is staged here: the
folder's files, the Dockerfile, the ``baselines`` package's modules (the
codec base carries only the SDK, as a participant's does) and, for a neural
baseline, its checkpoint files and ``neural/serving.json``, which checkpoint serves each track
(`baselines.neural.track_plan`: the image has no track table). Every image runs ``python -m baselines.serve
<name>``, so it writes exactly the bitstreams of the in-process codec.
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import resources
from pathlib import Path

from baselines.model_names import OUR_MODELS
from baselines.neural.track_plan import SERVING_FILE, serving_json
from baselines.registry import BASELINES, BaselineSpec
from evaluator.core.checksums import file_sha256
from evaluator.core.settings import cache_dir
from evaluator.images import BuiltImage, build_codec_image
from evaluator.images.codec_build import folder_digest
from evaluator.images.engine import Progress, hash_parts

TEMPLATE = "Dockerfile.template"
IMAGE_INIT = '"""AstroCompress baselines (image copy)."""\n'
SKIPPED = {"__pycache__", "checkpoints"}


def _package_root() -> Path:
    return Path(str(resources.files("baselines")))


def baseline_images_root() -> Path:
    return _package_root() / "images"


def baseline_image_folders() -> dict[str, Path]:
    """Baseline name -> folder holding its ``codec.toml``, in registry order."""
    return {b.name: baseline_images_root() / b.image_folder for b in BASELINES.values()}


def dockerfile(spec: BaselineSpec) -> str:
    """The Dockerfile of one baseline's image."""
    return (baseline_images_root() / spec.kind / TEMPLATE).read_text().replace("CODEC_NAME", spec.name)


def _modules() -> list[Path]:
    """The ``baselines`` package's Python files (the image folders and checkpoints excluded)."""
    root = _package_root()
    return sorted(p for p in root.rglob("*.py")
                  if not SKIPPED & set(p.relative_to(root).parts) and p.relative_to(root).parts[0] != "images")


def _weights(spec: BaselineSpec) -> list[Path]:
    return [_package_root() / "neural" / "checkpoints" / w for w in spec.weights]


def _generated(spec: BaselineSpec) -> dict[str, str]:
    """Files the context gets that the repository does not hold (path under the package -> text)."""
    if not spec.neural:
        return {}
    where = SERVING_FILE.relative_to(_package_root()).as_posix()
    return {where: serving_json({spec.name: OUR_MODELS[spec.name].frames_as_channels})}


def stage_context(spec: BaselineSpec) -> Path:
    """A build context: folder files, Dockerfile, ``site-packages/baselines/``, weights.

    Content-addressed (``baseline-contexts/<name>-<hash>``) and moved into
    place atomically, so concurrent builders never see a half-written one.
    """
    folder, root = baseline_images_root() / spec.image_folder, _package_root()
    generated = _generated(spec)
    inputs = [*folder_digest(folder), IMAGE_INIT, dockerfile(spec),
              *(part for item in sorted(generated.items()) for part in item)]
    for path in [*_modules(), *_weights(spec)]:
        inputs += [path.relative_to(root).as_posix(), file_sha256(path)]
    context = cache_dir() / "baseline-contexts" / f"{spec.name}-{hash_parts(inputs)[:12]}"
    if context.is_dir():
        return context
    context.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=context.parent))
    shutil.copytree(folder, staging, dirs_exist_ok=True)
    (staging / "Dockerfile").write_text(dockerfile(spec))
    package = staging / "site-packages" / "baselines"
    for path in [*_modules(), *_weights(spec)]:
        target = package / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (package / "__init__.py").write_text(IMAGE_INIT)
    for relative, text in generated.items():
        (package / relative).write_text(text)
    try:
        staging.rename(context)
    except OSError:  # another process staged the same inputs first
        shutil.rmtree(staging, ignore_errors=True)
    return context


def ensure_baseline_image(spec: BaselineSpec, progress: Progress | None = None) -> BuiltImage:
    """Build (or find) one baseline's image."""
    return build_codec_image(stage_context(spec), progress=progress)


def ensure_baseline_images(names: list[str] | None = None, progress: Progress | None = None) -> dict[str, BuiltImage]:
    """Build (or find) the images of ``names`` (default: every baseline); name -> image."""
    specs = [BASELINES[n] for n in names] if names is not None else list(BASELINES.values())
    return {spec.name: ensure_baseline_image(spec, progress) for spec in specs}
