"""The mark on a neural baseline that codes the real (packaged) frames worse than RICE.

A neural baseline's records carry its checkpoint's real-val figures: the codec's ready line names them
(``codec_info["real_val"]``, from the checkpoint's sidecar: `baselines.neural.real_val_sidecar`): the model's
bits per pixel on the *real (packaged)* frames and RICE's on the same frames. A record whose model is above
RICE there gets a note (the records table's ``real_val_note``) and its row the badge `REAL_VAL_BADGE`, on every
track that checkpoint serves. The note is written here from the two numbers alone: ``codec_info`` is the
codec's own word, so none of its text reaches the board (the frame set's label only when it has the
packaged source's form).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from typing import Any

INFO_KEY = "real_val"  # = baselines.neural.real_val_sidecar.INFO_KEY (the Space carries no baselines.neural; tested)
REAL_VAL_BADGE = "worse than RICE on real frames (packaged)"
REAL_VAL_HELP = ("a neural baseline whose checkpoint codes the real (packaged) frames (`challenge data "
                 "fetch-packaged`) in more bits per pixel than RICE: its validation was synthetic only")
_SET = re.compile(r"^real-packaged-v[0-9]{1,4}:[a-z_]{1,20}$")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def real_val_note(codec_info: Mapping[str, Any], neural: bool) -> str:
    """The note of a neural record whose checkpoint's real-val bpp is above RICE's; "" otherwise."""
    block = codec_info.get(INFO_KEY) if neural else None
    if not isinstance(block, Mapping):
        return ""
    bpp, rice = _number(block.get("bpp")), _number(block.get("rice_bpp"))
    if bpp is None or rice is None or bpp <= rice:
        return ""
    jxl = _number(block.get("jpegxl_max_bpp"))
    name = block.get("set")
    where = f"({name})" if isinstance(name, str) and _SET.match(name) else "(packaged)"
    return (f"on the real frames {where} this checkpoint codes {bpp:.3f} bpp (ratio {16 / bpp:.2f}) against "
            f"RICE's {rice:.3f} bpp (ratio {16 / rice:.2f})"
            + (f" and JPEG-XL max's {jxl:.3f} bpp (ratio {16 / jxl:.2f})" if jxl is not None else ""))


def real_val_badge(note: object) -> str:
    """The row's badge (HTML, the note as its tooltip, escaped), or "" for a record without a note."""
    if not isinstance(note, str) or not note:
        return ""
    return f' <span class="badge badge-worse-than-rice" title="{html.escape(note, quote=True)}">{REAL_VAL_BADGE}</span>'
