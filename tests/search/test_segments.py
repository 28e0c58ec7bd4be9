"""The numpy readers of the search backend read exactly what Whoosh stored, and what they keep
in memory stays within its budget."""

from datetime import date, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from market.search import segments
from market.search.backend import Document
from market.search.documents import KIND_WORDS
from market.search.whoosh_backend import WhooshBackend


def _documents(n: int) -> list[Document]:
    return [Document(
        listing_id=i, kind=("craft", "tour", "produce")[i % 3], home_id=i % 7,
        province=("安徽省", "河北省")[i % 2], price_fen=100 * (i % 50),
        next_date=None if i % 4 == 0 else date(2026, 5, 1) + timedelta(days=i % 30),
        title_zh=f"泾县手工宣纸{i}号" if i % 2 else f"红色故事讲述{i}",
        title_en=f"Rice paper no. {i}" if i % 2 else f"Storytelling tour {i}",
        description_zh="小岭村老师傅按古法抄造的宣纸，适合书法与国画。" * (1 + i % 3),
        tags="宣纸,书法", place_zh="小岭村幸福院 小岭村 泾县 安徽省", place_en="Xiaoling Anhui",
    ) for i in range(1, n + 1)]


def _whoosh_postings(leaf, fieldname, text):
    matcher = leaf._terms.matcher(fieldname, leaf._text_to_bytes(fieldname, text),
                                  leaf.schema[fieldname].format)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def test_postings_and_columns_read_as_whoosh_reads_them(tmp_path):
    backend = WhooshBackend(tmp_path, kind_words=KIND_WORDS)
    documents = _documents(1300)  # common terms span several 512-posting blocks
    backend.index(documents[:900])
    backend.index(documents[900:])
    backend.remove(range(1, 1301, 5))  # deletions in both segments
    backend.index(documents[10:30])
    leaves = list(backend._searcher().reader().leaf_readers())
    assert len(leaves) > 1 and any(leaf.has_deletions() for leaf, _offset in leaves)
    longest = 0
    for leaf, _offset in leaves:
        for fieldname in ("title_zh", "body_zh", "grams_zh", "title_en", "pinyin", "kind", "id"):
            for term in leaf.lexicon(fieldname):
                text = term.decode()
                ids, weights = segments.read_postings(leaf, fieldname, text)
                expected_ids, expected_weights = _whoosh_postings(leaf, fieldname, text)
                assert ids.tolist() == expected_ids, (fieldname, text)
                assert weights.tolist() == expected_weights, (fieldname, text)
                longest = max(longest, len(expected_ids))
        for name in ("listing_id", "price", "next_date"):
            assert segments.read_numbers(leaf, name).tolist() == list(leaf.column_reader(name))
        for name in ("kind", "province", "home", "price_band"):
            refs, values = segments.read_refs(leaf, name)
            assert [values[r] for r in refs] == list(leaf.column_reader(name))
    assert longest > 512


def test_the_cache_keeps_within_its_byte_budget():
    cache = segments.ByteBudgetCache(limit=10_000)
    for key in range(20):
        cache.get(key, lambda: np.zeros(500))  # 4,000 bytes each
        assert cache.size <= 10_000
    assert cache.get(19, lambda: None) is not None  # the most recent stay
    assert cache.get(0, lambda: "made again") == "made again"  # the oldest went
    assert cache.get("huge", lambda: np.zeros(5_000)).size == 5_000  # too big: given, not kept
    assert cache.size <= 10_000


keys = st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(0, 10_000)),
                max_size=60, unique_by=lambda row: row[2])


@given(rows=keys, k=st.integers(0, 70))
def test_smallest_orders_like_sorted(rows, k):
    columns = [np.array([row[i] for row in rows], np.int64) for i in range(3)]
    found = segments.smallest(columns, k)
    assert [rows[i] for i in found] == sorted(rows)[:k]
