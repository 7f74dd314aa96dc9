"""DESIGN.md "Measurement": the codec image's compressed size is recorded and shown."""

from evaluator.results.fingerprints import Fingerprint
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import ResultRecord, ResultStore
from leaderboard.data.store_reader import StoreReader
from leaderboard.views import tables


def test_track_table_shows_the_compressed_image_size():
    store = ResultStore("memory://image-size-column")
    store.write(ResultRecord(
        submission="sub-1", codec="mine", track="hubble", profile="cpu-1", split="synthetic-small-s0:full_test",
        provenance="verified", synthetic=True, status="ok", summary={"ratio_mean": 2.5, "bpp_mean": 6.4},
        fingerprint=Fingerprint(profile="cpu-1", cpu_model="x", cores_granted=1,
                                image=ImageIdentity("sha256:abc", compressed_size_bytes=102_400_000))))
    reader = StoreReader("memory://image-size-column")
    reader.refresh()
    table = tables.track_table(tables.with_labels(reader.records_frame()), "hubble")
    assert "Image MB (gzip)" in table.columns
    assert table.loc[0, "Image MB (gzip)"] == 102.4
