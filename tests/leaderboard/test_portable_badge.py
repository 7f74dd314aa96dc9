"""The portable badge: a track table's codec cell says portable / not portable (env); records table columns."""

from __future__ import annotations

from lb_factory import verified_record

from evaluator.results.portability import PORTABLE_ENVS, EnvResult, PortableCheck, portable_envs
from leaderboard.data.store_reader import RECORD_COLUMNS, StoreReader
from leaderboard.views import tables


def test_track_table_shows_portable_and_not_portable(store) -> None:
    passed = [EnvResult(env.name, {}, True, 2) for env in portable_envs(0)]
    checks = {
        "rice": PortableCheck.of(passed, 3.0),  # every CPU environment passed
        "jpegls": PortableCheck(False, "generic", {"OMP_NUM_THREADS": "2"}, 1, "not_lossless on item x: differ"),
        "jpegxl": None,  # not checked (in-process run)
        "jpeg2000": PortableCheck.of(passed[-1:], 1.0),  # passed, but checked under one environment only
        "jpegxl-max": PortableCheck(True, "generic", {"OMP_NUM_THREADS": "2"}, 3),  # an older record: weaker check
    }
    for codec_id, check in checks.items():
        rec, items = verified_record(codec_id, "hubble")
        rec.portable = check
        store.write(rec, items)
    reader = StoreReader(store.url)
    reader.refresh()
    frame = reader.records_frame()
    assert {"portable", "portable_env", "portable_detail"} <= set(RECORD_COLUMNS) <= set(frame.columns)
    by_sub = frame.set_index("submission")
    assert by_sub.loc["baseline-jpegls", "portable_detail"] == "not_lossless on item x: differ"
    assert by_sub.loc["baseline-jpegxl", "portable"] is None and by_sub.loc["baseline-jpegxl", "portable_env"] == ""

    table = tables.track_table(tables.with_labels(frame), "hubble")
    cells = {c.split(" ")[0].split("<")[0]: c for c in table["Codec"]}
    assert 'class="badge badge-portable">portable<' in cells["RICE"]
    assert 'class="badge badge-not-portable">not portable (generic)<' in cells["JPEG-LS"]
    assert "portable" not in cells["JPEG-XL"]  # not checked
    for cell, sub in (("JPEG-2000", "jpeg2000"), ("JPEG-XL", "jpegxl-max")):
        # a pass under only some environments is never called portable
        assert "portable" not in cells[cell], cells[cell]
        assert by_sub.loc[f"baseline-{sub}", "portable"] is None
    assert not table["Rank"].isna().any()  # shown, never ranked: every row keeps its rank
    css = tables.badge_css()
    assert ".badge-portable" in css and ".badge-not-portable" in css
    assert set(tables.BADGE_HELP) >= {"portable", "not-portable"}


def test_badges_name_the_environments_checked(store) -> None:
    results = [EnvResult(n, {}, n not in {"onednn-sse41", "threads"}, 2 if n != "threads" else 1,
                         None if n not in {"onednn-sse41", "threads"} else "not_lossless on item x: differ")
               for n in PORTABLE_ENVS]
    rec, items = verified_record("jpegls", "hubble")
    rec.portable = PortableCheck.of(results, 3.0)
    store.write(rec, items)
    reader = StoreReader(store.url)
    reader.refresh()
    table = tables.track_table(tables.with_labels(reader.records_frame()), "hubble")
    (cell,) = [c for c in table["Codec"] if c.startswith("JPEG-LS")]
    assert ">not portable (onednn-sse41, threads)<" in cell
    for env in PORTABLE_ENVS.values():
        assert env.doc in tables.BADGE_HELP["portable"] and env.name in tables.BADGE_HELP["not-portable"]
