"""Search relevance measured on queries judged by a person (tests/search_relevance/judgements.txt):
precision@3, nDCG@10, how many queries with a relevant listing find nothing, and how many
queries that should find nothing find something. Used by the test suite and `bench search`."""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

JUDGEMENTS = Path(__file__).resolve().parents[2] / "tests" / "search_relevance" / "judgements.txt"


@dataclass(frozen=True)
class Judgement:
    query: str
    relevant: frozenset[str]  # listing slugs; empty: nothing should be found
    line: int


def load(path: Path = JUDGEMENTS) -> list[Judgement]:
    """Parse the judgements file: `query | slugs or @groups`, `@group = ...`, `query | -`."""
    groups: dict[str, list[str]] = {}
    judged: list[Judgement] = []

    def expand(names: str, line: int) -> list[str]:
        out: list[str] = []
        for name in names.split():
            if name.startswith("@"):
                if name not in groups:
                    raise ValueError(f"line {line}: unknown group {name}")
                out.extend(groups[name])
            else:
                out.append(name)
        return out

    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("@"):
            name, _, members = text.partition("=")
            groups[name.strip()] = expand(members, number)
            continue
        query, sep, relevant = text.rpartition("|")
        if not sep or not query.strip():
            raise ValueError(f"line {number}: expected 'query | listings'")
        slugs = [] if relevant.strip() == "-" else expand(relevant, number)
        if not slugs and relevant.strip() != "-":
            raise ValueError(f"line {number}: no listings (write '-' for none)")
        judged.append(Judgement(query.strip(), frozenset(slugs), number))
    return judged


def precision_at(found: list[str], relevant: frozenset[str], k: int = 3) -> float:
    """Relevant listings among the first k, out of as many as could be there (a query with
    one relevant listing scores 1 when it is in the first k)."""
    return sum(1 for s in found[:k] if s in relevant) / min(k, len(relevant))


def ndcg_at(found: list[str], relevant: frozenset[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, s in enumerate(found[:k]) if s in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal


@dataclass
class Report:
    judged: int = 0  # queries with relevant listings
    nothing_queries: int = 0  # queries that should find nothing
    precision_at_3: float = 0.0
    ndcg_at_10: float = 0.0
    zero_results: list[str] = field(default_factory=list)  # judged queries that found nothing
    wrong_finds: list[str] = field(default_factory=list)  # nothing-queries that found something
    worst: list[tuple[str, float, list[str]]] = field(default_factory=list)  # (query, P@3, top 3)

    @property
    def zero_result_rate(self) -> float:
        return len(self.zero_results) / self.judged if self.judged else 0.0


def evaluate(search: Callable[[str], list[str]], judgements: list[Judgement] | None = None) -> Report:
    """`search(query)` returns the slugs found, best first (at least the first 10)."""
    report = Report()
    precisions, gains = [], []
    for judgement in judgements if judgements is not None else load():
        found = search(judgement.query)
        if not judgement.relevant:
            report.nothing_queries += 1
            if found:
                report.wrong_finds.append(judgement.query)
            continue
        report.judged += 1
        if not found:
            report.zero_results.append(judgement.query)
        p3 = precision_at(found, judgement.relevant)
        precisions.append(p3)
        gains.append(ndcg_at(found, judgement.relevant))
        if p3 < 1:
            report.worst.append((judgement.query, p3, found[:3]))
    report.precision_at_3 = sum(precisions) / len(precisions) if precisions else 0.0
    report.ndcg_at_10 = sum(gains) / len(gains) if gains else 0.0
    report.worst.sort(key=lambda row: row[1])
    return report


def service_search(query: str) -> list[str]:
    """The search page's first page of results, as slugs (needs an app context)."""
    from market.search import service

    return [x.slug for x in service.search(service.SearchRequest(q=query)).listings]
