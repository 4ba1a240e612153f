"""The privacy check the build runs on the site before publishing it (tests/test_site.py runs it on the demo)."""

from __future__ import annotations

import json

from dekt.site import privacy

IDS = {"2014010001", "2014010002", "S2015A07"}


def test_ids_are_found_alone_inside_longer_runs_and_in_escaped_json(tmp_path):
    assert privacy.ids_in("学号 2014010001。", IDS) == {"2014010001"}
    assert privacy.ids_in("x99201401000223y and zzS2015A07zz", IDS) == {"2014010002", "S2015A07"}
    assert privacy.ids_in("2014****01 2014-01-0001 201401000", IDS) == set()
    page = tmp_path / "search_index.json"
    page.write_text(json.dumps({"docs": [{"text": "同学\u200b2014010002\u200b"}]}), encoding="ascii")
    assert privacy.ids_in(privacy.readable_text(page), IDS) == {"2014010002"}


def test_the_site_check_names_each_leak_and_private_copy(tmp_path):
    site, private = tmp_path / "site", tmp_path / "private"
    (site / "a").mkdir(parents=True)
    private.mkdir()
    (site / "index.html").write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css"> 2014****01', encoding="utf-8"
    )
    (site / "a/index.html").write_text("<p>2014010001</p>", encoding="utf-8")
    secret = b"student,credits\n" * 10
    (private / "ranking.csv").write_bytes(secret)
    (site / "a/copy.txt").write_bytes(secret)
    (site / "t.pdf").write_bytes(b"%PDF-1.7")
    found = privacy.problems(site, IDS, private=private)
    assert any(f.startswith("index.html") and "fonts.googleapis.com" in f for f in found)
    assert any(f.startswith("a/index.html") and "2014010001" in f for f in found)
    assert any(f.startswith("a/copy.txt") and "ranking.csv" in f for f in found)
    assert any(f.startswith("t.pdf") for f in found)
    assert len(found) == 4
