"""A Whoosh searcher's postings and columns as numpy arrays, for the search backend.

Whoosh hands out postings and column values one Python call at a time: a query with 7,000
matches spent its time in Python loops, and a freshly opened searcher took a quarter of a
second just to read the facet and sort columns. Here:

- a term's postings are fetched with one file read and decoded block by block into arrays of
  document numbers and term frequencies (the whoosh3 block format: a signed length, negative
  for the last block; a pickled header whose second item is the block's last id; the
  zlib-compressed pickle of the delta-coded ids and the weights);
- facet and sort columns are read straight from their fixed-width data (one reference per
  document into a list of unique values for facets, big-endian integers for numbers);
- both are kept per segment in one cache of bounded size (segments never change once
  written), so a searcher reopened after a write reads only what is new; deleted documents
  are read per searcher.

`tests/search/test_index.py` checks these readers against Whoosh's own on a real index, so a
Whoosh upgrade that changes the format fails there rather than on the search page.
"""

import io
import pickle
import struct
import threading
import zlib
from collections import OrderedDict

import numpy as np

CACHE_BYTES = 32 * 1024 * 1024  # per process: postings and columns of recently used segments
_BLOCK_LENGTH = struct.Struct("!i")
_REF_TYPES = {"B": ">u1", "H": ">u2", "I": ">u4"}


class ByteBudgetCache:
    """Least recently used numpy values, evicted when their total size passes `limit` bytes."""

    def __init__(self, limit: int):
        self.limit = limit
        self.size = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, make):
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found[0]
        value = make()
        nbytes = _nbytes(value)
        if nbytes <= self.limit:
            with self._lock:
                if key not in self._items:
                    self._items[key] = (value, nbytes)
                    self.size += nbytes
                while self.size > self.limit:
                    _key, (_value, dropped) = self._items.popitem(last=False)
                    self.size -= dropped
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.size = 0


def _nbytes(value) -> int:
    """Arrays count their bytes; a list of facet values is counted at 64 bytes a value."""
    parts = value if isinstance(value, tuple) else (value,)
    return sum(part.nbytes if isinstance(part, np.ndarray) else 64 * len(part) for part in parts)


cache = ByteBudgetCache(CACHE_BYTES)


def read_postings(leaf, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(document numbers, term frequencies) of one term in one segment, deleted ones included;
    kept as 32-bit numbers, 8 bytes a posting."""
    terms = leaf._terms
    info = terms.term_info(fieldname, leaf._text_to_bytes(fieldname, text))
    if info.is_inlined():
        ids, weights, _values = info.inlined_postings()
        return np.array(ids, np.int32), np.array(weights, np.float32)
    offset, length = info.extent()
    if isinstance(length, tuple):  # whoosh3 decodes the extent's length as a 1-tuple
        length = length[0]
    data = memoryview(terms._postfile.get(offset, length))
    deltas: list[int] = []
    weights: list[float] = []
    previous_last = 0
    position = 4  # after the postings' magic number
    while True:
        (signed_length,) = _BLOCK_LENGTH.unpack_from(data, position)
        start, end = position + 4, position + 4 + abs(signed_length)
        header = io.BytesIO(data[start:end])
        count, last_id, _max_weight, compression, _min_len, _max_len = pickle.load(header)
        payload = data[start + header.tell():end]
        ids, block_weights, _values = pickle.loads(zlib.decompress(payload) if compression
                                                   else payload)
        first = len(deltas)
        deltas.extend(ids)
        deltas[first] -= previous_last  # each block's first id is absolute: make it a delta
        previous_last = last_id
        if block_weights is None:
            weights.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * count)
        else:
            weights.extend(block_weights)
        if signed_length < 0:
            break
        position = end
    return np.cumsum(np.array(deltas, np.int64)).astype(np.int32), np.array(weights, np.float32)


def read_numbers(leaf, fieldname: str) -> np.ndarray:
    """A numeric column of one segment (documents past the stored values get the default)."""
    reader = leaf.column_reader(fieldname, translate=False)
    size = leaf.doc_count_all()
    if not hasattr(reader, "_typecode"):  # the segment has no such column
        return np.full(size, reader._default, np.int64)
    raw = reader._dbfile.get(reader._basepos, reader._count * reader._fixedlen)
    values = np.full(size, reader._default, np.int64)
    values[:reader._count] = np.frombuffer(raw, ">" + reader._typecode)
    return values


def read_refs(leaf, fieldname: str) -> tuple[np.ndarray, list[str]]:
    """A facet column of one segment: each document's index into the list of unique values."""
    reader = leaf.column_reader(fieldname, translate=False)
    size = leaf.doc_count_all()
    if not hasattr(reader, "_uniques"):  # the segment has no such column
        return np.zeros(size, np.int32), [reader._default.decode()]
    raw = reader._dbfile.get(reader._basepos, size * reader._itemsize)
    refs = np.frombuffer(raw, _REF_TYPES[reader._typecode]).astype(np.int32)
    return refs, [value.decode() for value in reader._uniques]


class SearcherArrays:
    """Dense arrays over one searcher's document numbers (all segments, offsets applied)."""

    def __init__(self, searcher, index_key: str, facets: tuple[str, ...], numbers: tuple[str, ...]):
        self.size = searcher.doc_count_all()
        self._leaves = [(leaf, offset, (index_key, leaf.segment().segment_id()))
                        for leaf, offset in searcher.reader().leaf_readers()]
        self.live = np.ones(self.size, bool)
        for leaf, offset, _key in self._leaves:
            if leaf.has_deletions():
                self.live[offset + np.fromiter(leaf.deleted_docs_set, np.int64)] = False
        self.numbers = {name: self._concat(name, read_numbers) for name in numbers}
        self.facets = {name: self._facet(name) for name in facets}

    def _concat(self, name: str, read) -> np.ndarray:
        parts = [cache.get((key, "column", name), lambda leaf=leaf: read(leaf, name))
                 for leaf, _offset, key in self._leaves]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def _facet(self, name: str) -> tuple[np.ndarray, list[str]]:
        """Codes into one value list for all segments (each segment numbers its own values)."""
        codes: dict[str, int] = {}
        parts = []
        for leaf, _offset, key in self._leaves:
            refs, uniques = cache.get((key, "refs", name), lambda leaf=leaf: read_refs(leaf, name))
            translate = np.array([codes.setdefault(v, len(codes)) for v in uniques], np.int32)
            parts.append(translate[refs])
        values = list(codes)
        return (np.concatenate(parts) if parts else np.zeros(0, np.int32)), values

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Document numbers and term frequencies of a term over all segments."""
        docs, freqs = [], []
        for leaf, offset, key in self._leaves:
            if (fieldname, text) in leaf:
                ids, tf = cache.get((key, fieldname, text),
                                    lambda leaf=leaf: read_postings(leaf, fieldname, text))
                docs.append(ids + offset)
                freqs.append(tf)
        if not docs:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        return np.concatenate(docs), np.concatenate(freqs)

    def facet_mask(self, name: str, value: str) -> np.ndarray:
        codes, values = self.facets[name]
        if value not in values:
            return np.zeros(self.size, bool)
        return codes == values.index(value)

    def facet_counts(self, matched: np.ndarray) -> dict[str, dict[str, int]]:
        counts = {}
        for name, (codes, values) in self.facets.items():
            counted = np.bincount(codes[matched], minlength=len(values))
            counts[name] = {values[i]: int(counted[i]) for i in np.flatnonzero(counted) if values[i]}
        return counts


def smallest(keys: list[np.ndarray], k: int) -> np.ndarray:
    """Positions of the k smallest entries, compared by keys[0], then keys[1], and so on."""
    primary = keys[0]
    if k <= 0 or primary.size == 0:
        return np.zeros(0, np.int64)
    if k < primary.size:  # only entries up to the k-th primary key (and its ties) can make it
        kth = np.partition(primary, k - 1)[k - 1]
        candidates = np.flatnonzero(primary <= kth)
    else:
        candidates = np.arange(primary.size)
    order = np.lexsort([key[candidates] for key in reversed(keys)])
    return candidates[order[:k]]
