"""Early stopping on the VDM validation bound, and what its training curve says (no torch).

`EarlyStopping` watches the validation bound (bits per pixel, fixed patches and time
samples: `baselines.neural.vdm_train.validation_bpp`) every few steps: it remembers the
best value (whose weights the trainer keeps) and stops once the bound has not improved
by more than ``tolerance`` (relative) for ``patience`` evaluations in a row. The first
evaluation is the untrained model's bound, the *initial* bound.

`curve_summary` turns the recorded curve into the checkpoint sidecar's fields:
``val_bpp_initial``, ``val_bpp_best``, ``moved = (initial - best) / initial`` and
``bound_moved = moved > MOVED_THRESHOLD`` (2 %). A bound that stayed within 2 % of its
initial value is close to the untrained analytic preconditioner (the Gaussian posterior
mean `baselines.neural.vdm` starts from), and the records and the board say so
(`baselines.neural.vdm_records`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MOVED_THRESHOLD = 0.02  # relative move of the bound below which training "did not move it"
STOP_PLATEAU = "plateau"  # no improvement above the tolerance for `patience` evaluations
STOP_TIME_CAP = "time cap"  # the --max-minutes cap came first (the bound may still be improving)
STOP_MAX_STEPS = "max steps"

@dataclass
class EarlyStopping:
    tolerance: float = 0.001  # relative improvement that counts
    patience: int = 6  # evaluations without such an improvement before stopping
    curve: list[dict[str, float]] = field(default_factory=list)
    best: float = math.inf
    best_step: int = 0
    since: int = 0  # evaluations since the last improvement above the tolerance
    reference: float = math.inf  # the value the next improvement is measured against

    def __post_init__(self) -> None:
        if not 0.0 <= self.tolerance < 1.0:
            raise ValueError(f"tolerance must be in [0, 1), got {self.tolerance}")
        if self.patience < 1:
            raise ValueError(f"patience must be >= 1 evaluation, got {self.patience}")

    def update(self, step: int, minutes: float, val_bpp: float) -> bool:
        """Record one evaluation; True when it is the best so far (the caller keeps these weights)."""
        if not math.isfinite(val_bpp):
            raise ValueError(f"validation bound at step {step} is {val_bpp}: training diverged")
        self.curve.append({"step": int(step), "minutes": round(float(minutes), 3), "val_bpp": round(val_bpp, 5)})
        if val_bpp < self.reference * (1.0 - self.tolerance):
            self.reference, self.since = val_bpp, 0
        else:
            self.since += 1
        if val_bpp < self.best:
            self.best, self.best_step = val_bpp, int(step)
            return True
        return False

    @property
    def should_stop(self) -> bool:
        return self.since >= self.patience

    @property
    def initial(self) -> float:
        if not self.curve:
            raise ValueError("no evaluation recorded yet")
        return float(self.curve[0]["val_bpp"])

def relative_move(initial: float, best: float) -> float:
    """How far training moved the bound: ``(initial - best) / initial`` (0 when it did not improve)."""
    return max(0.0, (initial - best) / initial)

def curve_summary(stopper: EarlyStopping, *, stopped: str, minutes: float) -> dict[str, Any]:
    """The sidecar fields of a finished run (see the module docstring)."""
    initial, best = stopper.initial, min(stopper.best, stopper.initial)
    moved = round(relative_move(initial, best), 5)
    return {
        "curve": list(stopper.curve), "val_bpp_initial": round(initial, 5), "val_bpp_best": round(best, 5),
        "best_step": stopper.best_step, "moved": moved, "bound_moved": moved > MOVED_THRESHOLD,
        "stopped": stopped, "total_minutes": round(minutes, 2),
        "early_stopping": {"tolerance": stopper.tolerance, "patience_evals": stopper.patience},
    }

def move_note(moved: float | None, bound_moved: bool | None) -> str | None:
    """The visitor-facing note of a bound training left within 2 % of its initial value (None otherwise)."""
    if bound_moved is None or bound_moved:
        return None
    pct = f"{100.0 * moved:.2f} %" if moved is not None else f"< {100 * MOVED_THRESHOLD:.0f} %"
    return (f"≈ untrained preconditioner: training moved the validation bound by {pct} "
            f"(under {100 * MOVED_THRESHOLD:.0f} %) from the untrained model's")
