"""A neural baseline worse than RICE on the real (packaged) frames carries a visible mark on its rows; others do not."""

from __future__ import annotations

from lb_factory import verified_record

from baselines.neural import real_val_sidecar
from leaderboard.data.real_val_note import INFO_KEY, REAL_VAL_BADGE, real_val_note
from leaderboard.data.store_reader import RECORD_COLUMNS, StoreReader
from leaderboard.views import tables

WORSE = {"set": "real-packaged-v1:full_test", "bpp": 6.2410, "rice_bpp": 5.6302, "jpegxl_max_bpp": 4.5835}
BETTER = {**WORSE, "bpp": 5.3908}
MARK = 'class="badge badge-worse-than-rice" title="'


def _neural(codec_id: str, title: str, track: str, real_val: dict[str, object] | None, *, neural: bool = True):
    rec, items = verified_record(codec_id, track, codec=title, submission=f"baseline-{codec_id}", neural=neural)
    rec.codec_info = {"model": codec_id, "params": 220435, "sha256": "ab" * 32}
    if real_val is not None:
        rec.codec_info["real_val"] = real_val
    return rec, items


def test_the_mark_appears_for_a_record_above_rice_on_real_frames_and_not_otherwise(store) -> None:
    rows = [
        _neural("idf", "IDF (small)", "hubble", WORSE),
        _neural("pixelcnn", "PixelCNN++ (small)", "hubble", BETTER),
        _neural("l3c", "L3C (small)", "hubble", None),  # an older record: no figures, no mark
        _neural("vdm", "VDM", "hubble", {**WORSE, "bpp": None, "reason": "not applicable"}),
        _neural("fake", "Participant", "hubble", WORSE, neural=False),  # not a neural record: no mark
        _neural("idf", "IDF (small)", "lco", WORSE),  # every track the checkpoint serves
        verified_record("rice", "hubble"),
    ]
    for rec, items in rows:
        store.write(rec, items)
    reader = StoreReader(store.url)
    reader.refresh()
    frame = tables.with_labels(reader.records_frame())
    assert "real_val_note" in RECORD_COLUMNS
    notes = dict(zip(zip(frame["submission"], frame["track"]), frame["real_val_note"]))
    assert notes[("baseline-idf", "hubble")] == (
        "on the real frames (real-packaged-v1:full_test) this checkpoint codes 6.241 bpp (ratio 2.56) against "
        "RICE's 5.630 bpp (ratio 2.84) and JPEG-XL max's 4.583 bpp (ratio 3.49)")
    assert all(not notes[(s, "hubble")] for s in ("baseline-pixelcnn", "baseline-l3c", "baseline-vdm",
                                                  "baseline-fake", "baseline-rice"))
    for track in ("hubble", "lco"):
        table = tables.track_table(frame, track)
        badges = dict(zip(table["Submission"], table["Badges"]))
        assert MARK in badges["baseline-idf"] and f">{REAL_VAL_BADGE}</span>" in badges["baseline-idf"], track
        assert "ratio 2.56" in badges["baseline-idf"]  # the figures as the tooltip
        for other in set(badges) - {"baseline-idf"}:
            assert "worse-than-rice" not in badges[other], (track, other)
    assert ".badge-worse-than-rice" in tables.badge_css() and "worse-than-rice" in tables.BADGE_HELP


def test_the_note_is_written_from_numbers_only() -> None:
    hostile = {**WORSE, "set": '<img src=x onerror="alert(1)">'}
    note = real_val_note({"real_val": hostile}, True)
    assert note.startswith("on the real frames (packaged) this checkpoint") and "<" not in note
    for bad in ({**WORSE, "bpp": "9"}, {**WORSE, "bpp": float("nan")}, {**WORSE, "rice_bpp": 0},
                {**WORSE, "bpp": True}, {**WORSE, "rice_bpp": None}, "worse", ["bpp"]):
        assert real_val_note({"real_val": bad}, True) == "", bad
    assert real_val_note({"real_val": {**WORSE, "bpp": WORSE["rice_bpp"]}}, True) == ""  # equal is not worse
    assert real_val_note({"real_val": WORSE}, False) == ""
    assert INFO_KEY == real_val_sidecar.INFO_KEY == "real_val"  # the ready line's key, read by the board
