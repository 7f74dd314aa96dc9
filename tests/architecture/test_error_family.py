"""Every exception class the project defines belongs to the one error family (evaluator/sdk/errors.py)."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest

from evaluator.sdk.errors import FAMILIES, BadInput, ChallengeError, PlatformFault, exit_code_of

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("challenge", "leaderboard", "submissions", "baselines", "evaluator")
BUILTIN_ERRORS = {name for name, value in vars(builtins).items()
                  if isinstance(value, type) and issubclass(value, BaseException)}
FAMILY_BASES = {"ChallengeError", "BadInput", "PlatformFault"}


def _base_names(node: ast.ClassDef) -> set[str]:
    return {b.id if isinstance(b, ast.Name) else b.attr for b in node.bases if isinstance(b, (ast.Name, ast.Attribute))}


def _exception_classes() -> list[tuple[str, str, set[str]]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and _base_names(node) & BUILTIN_ERRORS:
                    found.append((str(path.relative_to(ROOT)), node.name, _base_names(node)))
    return found


def test_every_exception_class_names_its_family() -> None:
    """A class built on a builtin exception also lists BadInput or PlatformFault (or the base) among its bases."""
    classes = _exception_classes()
    assert len(classes) >= 30  # the scan sees the project's classes (36 when this test was written)
    outside = [f"{path}: {name}{sorted(bases)}" for path, name, bases in classes
               if not bases & FAMILY_BASES and (path, name) != ("evaluator/sdk/errors.py", "ChallengeError")]
    assert outside == [], "exception classes outside evaluator.sdk.errors' family:\n" + "\n".join(outside)


def test_the_families_table_gives_the_exit_codes() -> None:
    assert {f.name: f.exit_code for f in FAMILIES} == {"bad-input": 2, "platform-fault": 1}
    assert all(f.base.exit_code == f.exit_code and issubclass(f.base, ChallengeError) for f in FAMILIES)
    assert exit_code_of(BadInput("x")) == 2 and exit_code_of(PlatformFault("x")) == 1
    assert exit_code_of(ZeroDivisionError()) == 1


@pytest.mark.parametrize(("dotted", "family", "also"), [
    ("evaluator.core.tracks.UnknownTrackError", BadInput, KeyError),
    ("evaluator.sdk.named_table.UnknownName", BadInput, ValueError),
    ("evaluator.core.manifest.ManifestError", BadInput, ValueError),
    ("evaluator.data.corpus.CorpusError", BadInput, ValueError),
    ("evaluator.core.fs_urls.UrlError", BadInput, ValueError),
    ("evaluator.data.hidden_splits.SplitFilesError", BadInput, ValueError),
    ("submissions.service.queue_snapshot.SnapshotMissing", BadInput, FileNotFoundError),
    ("submissions.inbox.inbox_url.InboxUrlError", BadInput, ValueError),
    ("evaluator.sandbox.docker_engine.EngineUnavailable", PlatformFault, RuntimeError),
    ("evaluator.images.engine.ImageBuildError", PlatformFault, RuntimeError),
    ("submissions.inbox.inbox.SubmissionStoreError", PlatformFault, RuntimeError),
])
def test_classes_keep_their_old_bases_and_gain_a_family(dotted: str, family: type[ChallengeError],
                                                         also: type[Exception]) -> None:
    """``except ValueError`` / ``except KeyError`` sites keep working; the CLI reads the family's exit code."""
    import importlib

    module, _, name = dotted.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, family) and issubclass(cls, also)
    err = cls("what went wrong")
    assert err.exit_code == family.exit_code and err.message == "what went wrong" and err.fix


def test_a_corrupt_file_error_splits_message_and_fix() -> None:
    from evaluator.data.fits_io import FitsFormatError

    err = FitsFormatError("x.fits", "truncated header")
    assert isinstance(err, BadInput) and isinstance(err, ValueError) and err.exit_code == 2
    assert err.message == "x.fits: truncated header" and "unmodified raw file" in err.fix
    assert str(err).startswith("x.fits: truncated header; ") and err.fix in str(err)  # str() keeps both
