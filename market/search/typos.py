"""English typos: the index's words within an edit distance of a typed word, found through
their deletions (the "symmetric delete" method): a word and a typo of it share a string made by
deleting at most `maxdist` letters from each. Built once per searcher; a look-up is a few
dictionary reads and an exact distance for the handful of candidates, not a scan of the
vocabulary (Whoosh's own terms_within took 50-70 ms a word)."""

from collections.abc import Iterable
from itertools import combinations


def _deletions(word: str, most: int) -> set[str]:
    out = {word}
    for n in range(1, min(most, len(word) - 1) + 1):
        out.update("".join(word[i] for i in range(len(word)) if i not in gone)
                   for gone in combinations(range(len(word)), n))
    return out


def distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, replace one letter)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class Vocabulary:
    """Index words are kept with their one-letter deletions, the query is cut by up to
    `maxdist`: every typo one edit away is found, and of two edits those where at most one
    deletion is needed on the index word's side (two letters missing or added, or one missing
    and one wrong) -- the common ones -- while the index stays small enough to build on a cold
    searcher in a few milliseconds."""

    def __init__(self, words: Iterable[str]):
        self.index: dict[str, set[str]] = {}
        for word in words:
            for key in _deletions(word, 1):
                self.index.setdefault(key, set()).add(word)

    def near(self, word: str, maxdist: int) -> list[str]:
        """Known words within `maxdist` edits of `word`, nearest first (then alphabetical)."""
        candidates: set[str] = set()
        for key in _deletions(word, maxdist):
            candidates |= self.index.get(key, set())
        found = sorted((distance(word, c), c) for c in candidates if c != word)
        return [c for d, c in found if d <= maxdist]
