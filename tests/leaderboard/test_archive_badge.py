"""Archive codec rows (fpack, bzip2, zstd, xz as archives run them) carry the *archive* badge and kind."""

from __future__ import annotations

from lb_factory import verified_record

from baselines.registry import BASELINES
from leaderboard.data.store_reader import StoreReader
from leaderboard.views import tables


def test_archive_rows_carry_the_archive_badge_and_filter(store) -> None:
    archive = [b for b in BASELINES.values() if b.kind == "archive"]
    assert {b.submission for b in archive} == tables.ARCHIVE_SUBMISSIONS and len(archive) == 7
    for spec in archive[:3]:
        rec, items = verified_record(spec.name, "hubble", codec=spec.title, gain=0.9)
        store.write(rec, items)
    for codec_id in ("rice", "jpegxl-max"):
        rec, items = verified_record(codec_id, "hubble")
        store.write(rec, items)
    reader = StoreReader(store.url)
    reader.refresh()
    frame = tables.with_labels(reader.records_frame())
    kinds = dict(zip(frame["submission"], frame["kind"]))
    assert kinds == {"baseline-fpack-rice": "archive", "baseline-fpack-hcompress": "archive",
                     "baseline-fpack-gzip2": "archive", "baseline-rice": "classical",
                     "baseline-jpegxl-max": "classical"}

    table = tables.track_table(frame, "hubble")
    badges = dict(zip(table["Submission"], table["Badges"]))
    archive_badge = 'class="badge badge-archive">archive<'
    for spec in archive[:3]:
        assert archive_badge in badges[spec.submission] and "badge-verified" in badges[spec.submission]
    assert archive_badge not in badges["baseline-rice"] and archive_badge not in badges["baseline-jpegxl-max"]
    assert not table["Rank"].isna().any()  # ranked with the others on the same data

    only = tables.filter_records(frame, kinds=["archive"])
    assert set(only["submission"]) == {b.submission for b in archive[:3]}
    assert "archive" in tables.KINDS and ".badge-archive" in tables.badge_css() and "archive" in tables.BADGE_HELP
