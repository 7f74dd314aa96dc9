"""Our neural models' display names: the paper's architecture at our size, on our training data.

One table (:data:`OUR_MODELS`) names every neural model we ship, so no row
of ours carries a bare paper name ("IDF-small (ours, 0.22 M,
synthetic-trained)", not "IDF"), and says how each takes a 3D item
(``frames_as_channels``, which decides the checkpoint serving a track:
:mod:`baselines.neural.track_plan`). The baseline catalog
(:mod:`baselines.catalog`), the neural codec's ready line
(:mod:`baselines.neural.multi`), the VDM estimates and the cross-track
records all read it. It imports nothing of ours but the table type, so
any of them can import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaluator.sdk.named_table import NamedTable


def param_text(params: tuple[int, ...]) -> str:
    """Parameter counts as a reader reads them: ``0.22 M``, ``34 k``; a range where the checkpoints differ."""
    def one(n: int) -> tuple[str, str]:
        return (f"{n / 1e3:.0f}", "k") if n < 100_000 else (f"{n / 1e6:.2f}", "M")
    texts = list(dict.fromkeys(one(n) for n in sorted(params)))
    if not texts:
        raise ValueError("no parameter count")
    if len(texts) == 1 or len({unit for _, unit in texts}) > 1:
        return " / ".join(f"{v} {u}" for v, u in texts)
    return f"{texts[0][0]}–{texts[-1][0]} {texts[0][1]}"


@dataclass(frozen=True)
class OurModel:
    """A neural model of ours, named for what it is: the paper's architecture at our size, on our training data.

    ``params``: the trainable parameter counts of its shipped checkpoints (``baselines/neural/checkpoints/
    <name>-*.json``, field ``params``: 2D tracks, then the 3-channel 3D ones), read from them, not guessed;
    tests/core/test_display_names.py checks them against the files.
    """

    name: str  # checkpoint prefix
    label: str  # the architecture and our configuration ("IDF-small")
    paper_column: str  # the paper's Table 1 column of the same architecture (its models: up to 54 M, real data)
    params: tuple[int, ...]
    frames_as_channels: bool  # a 3D paper track's frames go in as channels (else: a first frame plus residuals)
    trained_on: str = "synthetic-trained"  # every shipped checkpoint: synthetic-small-s0:full_train, CPU minutes
    codec: bool = True  # a baseline codec (baselines/neural/<name>.py, a catalog row of its own); False: VDM's bound

    @property
    def title(self) -> str:
        return f"{self.label} (ours, {param_text(self.params)}, {self.trained_on})"

    def trained_on_title(self, track: str) -> str:
        """The name of a cross-track record (paper Table 2 protocol): this model trained on one track's data."""
        return f"{self.label} (ours, {param_text(self.params)}, trained on synthetic {track})"


# Our neural models (VDM: a likelihood bound, ``baselines.neural.vdm_records``, not a baseline codec).
OUR_MODEL_TABLE: tuple[OurModel, ...] = (
    OurModel("idf", "IDF-small", "IDF", (220_435,), frames_as_channels=False),
    OurModel("l3c", "L3C-small", "L3C", (563_364, 567_934), frames_as_channels=True),
    OurModel("pixelcnn", "PixelCNN-lite", "PixelCNN++", (33_903, 35_740),  # one resolution, other activations
             frames_as_channels=True),
    OurModel("vdm", "VDM-small", "VDM", (159_237, 162_695), frames_as_channels=True, codec=False),
)
OUR_MODELS: NamedTable[OurModel] = NamedTable("neural model", OUR_MODEL_TABLE)
