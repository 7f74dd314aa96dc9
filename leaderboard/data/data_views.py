"""What data a row was measured on, in plain words, and the board's data selector.

One table drives the concept: ``DATA_VIEWS`` names each kind of data a
visitor can pick (real test splits, synthetic frames, the real frames shipped
in packages, each hidden split by its public name) with its plain-words label and a one-line note. The page
shows one view at a time, so rows measured on different data never share a
ranking, a sort or a plot. The real view holds the paper's rows and our
evaluations on the real test splits; where both exist they are two data
labels, each ranked on its own (``leaderboard.views.tables``). The default
synthetic set (small, seed 0) and every other synthetic split are views of
their own.

``plain_split`` turns a record's split (``synthetic-small-s0:full_test``,
``hub:<rev>:full_test``, ``hidden:<name>``) into words ("synthetic default
(small, seed 0), full test"). A split it does not recognise is returned as
it is (participant-controlled text: escaped where it is shown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from leaderboard.safe_text import reveal_controls


@dataclass(frozen=True)
class DataView:
    """One choice of the data selector: its key (the ``data=`` URL value), label and one-line note."""

    key: str
    label: str
    note: str


REAL = "real"
SYNTHETIC = "synthetic"  # the generator's default corpus (small, seed 0)
OTHER_SYNTHETIC_PREFIX = "synthetic:"  # another synthetic split's view key: "synthetic:<split>"
HIDDEN_PREFIX = "hidden:"  # a hidden split's view key: "hidden:<public name>"
PACKAGED = "packaged"  # real frames shipped in PyPI/Debian packages (evaluator.data.packaged_source)

DATA_VIEWS: dict[str, DataView] = {v.key: v for v in (
    DataView(REAL, "Real data: the test splits (the paper's and ours)",
             "Real telescope frames: the paper's numbers and our evaluations on the real test splits."),
    DataView(SYNTHETIC, "Synthetic frames, default set (platform check)",
             "Synthetic frames check that the platform works end to end; they say nothing about the science: "
             "use the real data for that."),
)}
HIDDEN_NOTE = "A hidden test split: data no participant has seen, evaluated by the organizers."
PACKAGED_VIEW = DataView(PACKAGED, "Real frames from packages (validation set)",
                         "Real detector frames that ship in PyPI and Debian packages: a small real-data check, "
                         "not the corpus' test split; ranked on their own.")

# Split words: the synthetic generator's default corpus is (small, seed 0) (evaluator.data.synthetic_corpus)
_SYNTHETIC = re.compile(r"^synthetic-(?P<size>[a-z]+)-s(?P<seed>\d+)[:\-](?P<part>[a-z_]+)$")
_PARTS = {"full_test": "full test", "tiny_test": "tiny test", "full_train": "full train", "tiny_train": "tiny train"}
_HUB = re.compile(r"^hub:(?P<rev>[^:]+):(?P<part>[a-z_]+)$")
_PACKAGED = re.compile(r"^real-packaged-v(?P<set>\d+):(?P<part>[a-z_]+)$")  # evaluator.data.packaged_source


def _part(name: str) -> str:
    return _PARTS.get(name, name.replace("_", " "))


def plain_split(split: str, synthetic: bool) -> str:
    """A record's split in words (the *Data* column); unknown splits as they are."""
    if split.startswith("paper"):
        return "paper: real full test split"
    if synthetic:
        m = _SYNTHETIC.match(split)
        if m:
            default = " default" if (m["size"], m["seed"]) == ("small", "0") else ""
            return f"synthetic{default} ({m['size']}, seed {int(m['seed'])}), {_part(m['part'])}"
        return split if "synthetic" in split else f"synthetic: {split}"
    if split.startswith("hidden"):
        return f"hidden test: {split.split(':', 1)[-1]}"
    m = _PACKAGED.match(split)
    if m:
        return f"real (packaged), frame set v{int(m['set'])}, {_part(m['part'])}"
    m = _HUB.match(split)
    if m:
        return f"real: {_part(m['part'])} (Hub revision {m['rev'][:12]})"
    return f"real: {_part(split)}"


def view_key(split: str, synthetic: bool) -> str:
    """The data view of one record: real, the default synthetic set, another synthetic split, a hidden split."""
    if synthetic:
        m = _SYNTHETIC.match(split)
        return SYNTHETIC if m and (m["size"], m["seed"]) == ("small", "0") else OTHER_SYNTHETIC_PREFIX + split
    if _PACKAGED.match(split):
        return PACKAGED
    return HIDDEN_PREFIX + split.split(":", 1)[-1] if split.startswith("hidden") else REAL


def view_keys(frame: pd.DataFrame) -> pd.Series:
    """The data view of each row of a labelled records table (``data_kind``, ``split``)."""
    if frame.empty:
        return pd.Series([], dtype=object, index=frame.index)
    keys = [view_key(str(split), kind == SYNTHETIC)
            for kind, split in zip(frame["data_kind"].to_numpy(dtype=object), frame["split"].to_numpy(dtype=object))]
    return pd.Series(keys, dtype=object, index=frame.index)


def in_view(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows of one data view (``key`` empty: every row)."""
    if not key or frame.empty:
        return frame
    return frame[(view_keys(frame) == key).to_numpy()]


def view_of(key: str) -> DataView:
    """The view of a key (a hidden split's is built from its name)."""
    if key in DATA_VIEWS:
        return DATA_VIEWS[key]
    if key == PACKAGED:
        return PACKAGED_VIEW
    if key.startswith(OTHER_SYNTHETIC_PREFIX):  # participant-given split text: shown as text (a radio label)
        split = key.removeprefix(OTHER_SYNTHETIC_PREFIX)
        return DataView(key, reveal_controls(f"Other synthetic frames: {plain_split(split, True)}"),
                        DATA_VIEWS[SYNTHETIC].note)
    name = key.removeprefix(HIDDEN_PREFIX)
    return DataView(key, f"Hidden test split: {name}", HIDDEN_NOTE)


def choices(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The selector's choices (label, key): real and synthetic always, then the packaged frames and each other
    synthetic and hidden split present."""
    present = set(view_keys(frame)) if not frame.empty else set()
    others = [PACKAGED] if PACKAGED in present else []
    others += sorted(k for k in present if k.startswith(OTHER_SYNTHETIC_PREFIX))
    hidden = sorted(k for k in present if k.startswith(HIDDEN_PREFIX))
    return [(v.label, v.key) for v in DATA_VIEWS.values()] + [(view_of(k).label, k) for k in (*others, *hidden)]


def default_view(frame: pd.DataFrame) -> str:
    """Real data when the store has any, else the first view that has rows (e.g. synthetic)."""
    present = list(dict.fromkeys(view_keys(frame))) if not frame.empty else []
    if not present or REAL in present:
        return REAL
    return SYNTHETIC if SYNTHETIC in present else str(present[0])


def note_line(key: str) -> str:
    """The one line the page shows under the selector (its own constants: no participant text)."""
    return view_of(key).note


def known(key: str | None, offered: list[tuple[str, str]]) -> str | None:
    """``key`` if it is one of the ``offered`` choices (``choices``; a URL's ``data=`` value), else None."""
    return key if key and key in {k for _, k in offered} else None
