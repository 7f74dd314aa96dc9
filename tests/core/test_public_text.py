"""Public text rules at intake: codec.toml, a hosted request's fields, the queue's participant and name."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluator.core.manifest import ManifestError, load_manifest, validate_manifest
from evaluator.core.public_text import TEXT_CAPS, is_http_url, link_problem, text_problem
from evaluator.results.image_identity import ImageIdentity
from submissions.inbox.ingest import ingest
from submissions.inbox.submission_store import SubmissionStore
from submissions.queue.request_fields import request_refusal
from submissions.queue.submission_queue import SubmissionQueue

GOOD = {"name": "delta-zlib", "version": "1.0.0", "authors": ["Ada Lovelace"], "license": "MIT",
        "description": "delta + zlib", "url": "https://github.com/ada/delta-zlib"}
FIX_LINK = "give the page's address starting with https://"


def problems_of(**changes: object) -> str:
    with pytest.raises(ManifestError) as info:
        validate_manifest({**GOOD, **changes})
    return str(info.value)


@pytest.mark.parametrize(("url", "expected"), [
    ("javascript:alert(1)", "url 'javascript:alert(1)' is not an http(s) URL"),
    ("data:text/html,<b>x</b>", "holds < >, which a URL cannot"),
    ("data:text/html;base64,PGI+", "url 'data:text/html;base64,PGI+' is not an http(s) URL"),
    ("ftp://example.org/codec", "is not an http(s) URL"),
    ("//example.org/codec", "is not an http(s) URL"),
    ("https:///no-host", "url 'https:///no-host' has no host name"),
    ("https://example.org/a b", "holds whitespace, which a URL cannot"),
    ('https://example.org/"onmouseover="x', 'holds ", which a URL cannot'),
    ("https://example.org/'x", "holds ', which a URL cannot"),
    ("https://example.org/\x00", "holds the control character U+0000 at position 20"),
    ("https://example.org/" + "a" * 500, "url is 520 characters long, more than 500; shorten it"),
])
def test_manifest_url_must_be_an_absolute_http_url(url: str, expected: str) -> None:
    text = problems_of(url=url)
    assert expected in text
    if "characters long" not in text and "control character" not in text:
        assert FIX_LINK in text


def test_manifest_accepts_http_and_https_links_and_no_link() -> None:
    assert validate_manifest(GOOD).url == GOOD["url"]
    assert validate_manifest({**GOOD, "url": "http://example.org:8080/x?y=1#z"}).url.startswith("http://")
    assert validate_manifest({**GOOD, "url": ""}).url == ""


@pytest.mark.parametrize("field", ["name", "version", "license", "description", "paper"])
def test_every_public_text_field_is_capped(field: str) -> None:
    cap = TEXT_CAPS[field]
    problems = problems_of(**{field: "a" * (cap + 1)})
    assert f"{field} is {cap + 1} characters long, more than {cap}; shorten it" in problems


def test_authors_are_capped_together_as_the_board_shows_them() -> None:
    authors = ["x" * 100, "y" * 100, "z" * 100]  # 300 + two ", "
    assert "authors is 304 characters long, more than 300; shorten it" in problems_of(authors=authors)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\t", "\n", "\x7f", "\x85", "\x9b"])
def test_control_characters_are_refused_c0_and_c1_without_exception(char: str) -> None:
    text = problems_of(description=f"delta{char}zlib")
    assert f"description holds the control character U+{ord(char):04X} at position 5; remove it" in text
    assert text_problem("participant", f"ada{char}") is not None


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
                                  "\u2069"])
def test_bidi_overrides_and_isolates_are_refused(char: str) -> None:
    text = problems_of(license=f"MIT{char}")
    assert (f"license holds the bidirectional control U+{ord(char):04X} at position 3, which makes text display in "
            "another order than it reads; remove it") in text
    assert "authors holds the bidirectional control" in problems_of(authors=["Ada", f"{char}Bob"])


def test_plain_unicode_text_is_welcome() -> None:
    m = validate_manifest({**GOOD, "authors": ["Ada Lovelace", "Émilie du Châtelet", "李白"],
                           "description": "ratio < 3 & bits > 2: \"fast\" 'n' good [1](2)"})
    assert m.authors[2] == "李白"


def test_every_problem_is_listed_with_its_field(tmp_path: Path) -> None:
    (tmp_path / "codec.toml").write_text('name = "delta"\nversion = "1.0"\nauthors = ["Ada\\u202e"]\n'
                                         'license = "MIT"\ndescription = "a\\u0007b"\nurl = "javascript:x"\n')
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path)  # what `challenge build`, `test` and `submit` call first
    lines = str(info.value).splitlines()[1:]
    assert [line.split()[1] for line in lines] == ["authors", "description", "url"]


def test_link_rules_as_the_board_uses_them() -> None:
    assert is_http_url("https://example.org/x") and is_http_url("HTTP://EXAMPLE.ORG")
    for bad in ("javascript:alert(1)", "data:,x", "https://", "x>https://a.b", " https://a.b", "", None, 3):
        assert not is_http_url(bad), bad
    assert link_problem("homepage", "mailto:a@b.c") == (
        "homepage 'mailto:a@b.c' is not an http(s) URL; give the page's address starting with https:// "
        '(e.g. homepage = "https://github.com/you/your-codec")')


def test_request_fields_are_checked_like_codec_toml() -> None:
    ok = {"name": "delta-zlib", "manifest": dict(GOOD)}
    assert request_refusal("ada", ok) is None
    assert request_refusal("ada", {"manifest": {"name": "c"}}) is None  # only the fields present are checked
    refusal = request_refusal("ada\u202e", {**ok, "manifest": {**GOOD, "link": "javascript:x", "homepage": "data:x"}})
    assert refusal is not None
    assert "participant holds the bidirectional control U+202E at position 3" in refusal
    assert "manifest: link 'javascript:x' is not an http(s) URL" in refusal
    assert "manifest: homepage 'data:x' is not an http(s) URL" in refusal
    assert refusal.endswith("Fix codec.toml (or the request) and submit again.")
    assert "name is 64 characters long, more than 63" in (request_refusal("ada", {"name": "n" * 64}) or "")
    assert "name must be text, got int" in (request_refusal("ada", {"name": 5}) or "")
    assert "manifest must be an object" in (request_refusal("ada", {"manifest": ["x"]}) or "")
    assert "description must be text, got dict" in (request_refusal("ada", {"manifest": {"description": {}}}) or "")


def test_queue_refuses_a_participant_or_name_the_board_could_not_show(tmp_path: Path) -> None:
    queue = SubmissionQueue(tmp_path / "q")
    with pytest.raises(ValueError, match="participant holds the control character U\\+001B"):
        queue.enqueue(participant="eve\x1b[31m", name="c", image=ImageIdentity.frozen("sha256:" + "1" * 64))
    with pytest.raises(ValueError, match="name is 70 characters long"):
        queue.enqueue(participant="eve", name="n" * 70, image=ImageIdentity.frozen("sha256:" + "1" * 64))
    assert queue.submissions() == []
    entry = queue.enqueue(participant="Émilie <em>", name="c", image=ImageIdentity.frozen("sha256:" + "1" * 64))
    assert entry.participant == "Émilie <em>"


def test_ingest_refuses_hostile_request_fields_before_downloading_the_image(tmp_path: Path) -> None:
    inbox = SubmissionStore(f"memory://public-text-{tmp_path.name}")
    tar = tmp_path / "image.tar"
    tar.write_bytes(b"not really a tar")
    bad = inbox.put_request({"participant": "mallory", "name": "c", "image_digest": "sha256:" + "b" * 64,
                             "manifest": {"name": "c", "link": 'https://x.org/"><img/src=x/onerror=alert(1)>'}}, tar)
    good = inbox.put_request({"participant": "ada", "name": "c", "image_digest": "sha256:" + "c" * 64,
                              "manifest": dict(GOOD)}, tar)
    queue = SubmissionQueue(tmp_path / "q")
    report = ingest(inbox, queue)
    assert [queue.get(s).request_id for s in report.accepted] == [good]
    (rid, reason), = report.rejected
    assert rid == bad and "manifest: link 'https://x.org/\"><img/src=x/onerror=alert(1)>' holds \" < >" in reason
    assert not (queue.folder / "images" / f"{bad}.tar.gz").exists()  # refused before the download
    assert ingest(inbox, queue).rejected == []  # answered once
