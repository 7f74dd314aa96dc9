"""The packaged real frames (``--data packaged``): per frame its facts and the RICE and JPEG-XL max ratios.

Fetches the frames first when needed (``challenge data fetch-packaged``, idempotent). Ratios are raw bytes
(2 per pixel) over the bitstream the baseline codec writes (``baselines.classical.codecs``, as the baseline
images run them, header included), each decoded and checked bit for bit; the mean is the evaluator's headline
(mean of per-item ratios).

    python scripts/bench_packaged.py [--markdown]
"""

from __future__ import annotations

import argparse
import statistics

from baselines.classical.reference_bytes import REFERENCE_CODECS, reference_bytes
from evaluator.core.tracks import get_track
from evaluator.data.packaged_fetch import fetch_packaged
from evaluator.data.packaged_frames import frame
from evaluator.data.packaged_source import packaged_source

CODECS = REFERENCE_CODECS  # ("rice", "jpegxl-max")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    report = fetch_packaged(say=print)
    file_bytes = {x.frame.name: x.file_bytes for x in report.frames}
    source = packaged_source()
    head = ["frame", "package", "shape", "shipped as", "file bytes", "pixel sha256", "licence", "instrument",
            *(f"{c} ratio" for c in CODECS)]
    rows: list[list[str]] = []
    ratios: dict[str, list[float]] = {c: [] for c in CODECS}
    for item in source.iter_items(get_track("lco")):
        f = frame(item.id)
        cells = []
        sizes = reference_bytes(item.data, item.id, CODECS)  # each stream decoded and checked bit for bit
        for name in CODECS:
            ratio = item.data.nbytes / sizes[name]
            ratios[name].append(ratio)
            cells.append(f"{ratio:.3f}")
        rows.append([f.name, f"{f.package} {f.version}", f"{f.shape[0]}x{f.shape[1]}", f.stored_from,
                     str(file_bytes[f.name]), f.pixel_sha256[:16], f.licence,
                     " / ".join(v for v in (f.instrument, f.telescope) if v), *cells])
    rows.append(["mean", "", "", "", "", "", "", "", *(f"{statistics.fmean(ratios[c]):.3f}" for c in CODECS)])
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
        for r in [head, *rows]:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print(f"source {source.label} (revision {source.revision}): real (packaged) frames, not the corpus' test split")


if __name__ == "__main__":
    main()
