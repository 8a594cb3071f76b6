"""The search's (commune, trigram) keys only narrow it (PostgreSQL, migration 0020): a report the plain ``LIKE``
finds is never lost to them, whatever the words, their pieces, their letters or the commune."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from server.extensions import db
from server.reports.search import fold, has_inner_trigram

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "20")) * 5
QUEUE = "/api/v1/officer/reports"

# Folded report text: Vietnamese without tones, digits, the punctuation people type, and what folding keeps as
# it is (Chinese, Cyrillic, emoji, a German ß): pg_trgm hashes trigrams of such letters instead of spelling them.
letters = st.sampled_from(list("abcdeghiklmnopqrstuvxy0123456789") + list(" .,-/()") + ["日本", "й", "ß", "😀", "_%"])
folded_text = st.lists(letters, min_size=1, max_size=60).map(lambda parts: fold("".join(parts)))


def keys_hold(commune_id: int, body: str, query: str, searched_by: int | None = None) -> bool:
    """Whether the keys of a report of ``commune_id`` hold those of ``query`` typed in ``searched_by``'s console."""
    return db.session.scalar(
        text("SELECT report_search_keys(:commune, :body) @> report_search_pattern_keys(:searcher, :query)"),
        {"commune": commune_id, "body": body, "query": query, "searcher": searched_by or commune_id},
    )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=folded_text, cut=st.tuples(st.integers(0, 60), st.integers(1, 30)), commune_id=st.integers(1, 10**6))
def test_every_piece_of_a_text_finds_it_through_the_keys(postgresql, body, cut, commune_id) -> None:
    start, length = cut
    query = body[start : start + length]
    if not query.strip():
        return
    assert keys_hold(commune_id, body, query), (body, query)


def test_the_keys_tell_communes_and_words_apart(postgresql) -> None:
    body = fold("Có người lạ đi xe máy biển số 29A-123 vào xóm lúc nửa đêm")
    assert keys_hold(7, body, "xe may")
    assert not keys_hold(7, body, "xe may", searched_by=8)  # another commune's search never reaches this report
    assert not keys_hold(7, body, "trom ga")
    assert has_inner_trigram("xe máy") and not has_inner_trigram("xe ô")


def test_a_search_by_pieces_of_words_finds_the_report(postgresql, officer, phone) -> None:
    wanted = phone.send_report(body="Có người lạ đi xe máy biển số 29A-123 vào xóm lúc nửa đêm")
    phone.send_report(body="Mất trộm gà ở nhà bác Tư")
    for query in ("i xe ma", "XE MÁY BIỂ", "29a-12", "nua dem"):
        found = officer.get(QUEUE, query_string={"q": query}).json
        assert [item["id"] for item in found["items"]] == [wanted] and found["total"] == 1, query
    assert officer.get(QUEUE, query_string={"q": "xe đạp"}).json["total"] == 0
