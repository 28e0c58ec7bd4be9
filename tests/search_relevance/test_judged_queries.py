"""The judged queries (judgements.txt) over the demo catalogue: a quality floor for search.

`make bench BENCH=search` prints the same measures with the queries that miss."""

from sqlalchemy import select

from market.search import evaluation, indexing
from market.search.backend import Alternative, Concept, Query
from market.search.understanding import synonyms
from models import Listing, db

# The targets (#14); the suite measured 0.98 and 0.98 when they were set.
MIN_PRECISION_AT_3, MIN_NDCG_AT_10 = 0.9, 0.85
# What both backends measure today (docs/search.md): the PostgreSQL backend ranks exactly as the
# Whoosh one, so a change that moves either figure on either backend changes relevance (to be
# judged and the figures updated), never only speed.
MEASURED_PRECISION_AT_3, MEASURED_NDCG_AT_10 = 0.9840, 0.9831


def test_judgements_name_published_demo_listings():
    from market.demo import data

    published = {item["slug"] for home in data.HOMES for item in home["listings"]
                 if item.get("status", "published") == "published"}
    judged = evaluation.load()
    assert len([j for j in judged if j.relevant]) >= 150
    assert len([j for j in judged if not j.relevant]) >= 20
    for judgement in judged:
        assert judgement.relevant <= published, (judgement.line, judgement.relevant - published)
    assert len({j.query for j in judged}) == len(judged), "a query is judged twice"


def test_judged_queries_meet_the_quality_floor(demo):
    with demo.test_request_context("/search"):
        report = evaluation.evaluate(evaluation.service_search)
    assert report.zero_results == []  # a query with a relevant listing never shows nothing
    assert report.wrong_finds == []  # a query with nothing relevant finds nothing
    assert report.precision_at_3 >= MIN_PRECISION_AT_3, report.worst[:10]
    assert report.ndcg_at_10 >= MIN_NDCG_AT_10, report.worst[:10]
    assert (round(report.precision_at_3, 4), round(report.ndcg_at_10, 4)) == (
        MEASURED_PRECISION_AT_3, MEASURED_NDCG_AT_10), report.worst[:10]


def test_every_synonym_leads_to_listings_of_the_demo_catalogue(demo):
    """An entry whose other words find nothing is dead weight (or misspelt)."""
    dead = []
    for word, others in synonyms().items():
        concept = Concept(word, tuple(Alternative(tuple(o.split())) for o in others))
        if indexing.backend().search(Query(words=[word], concepts=[concept], limit=1)).total == 0:
            dead.append(word)
    assert dead == []


def test_demo_listings_are_all_indexed(demo):
    published = db.session.scalar(select(db.func.count()).select_from(Listing)
                                  .where(Listing.status == "published"))
    assert indexing.backend().doc_count() == published
