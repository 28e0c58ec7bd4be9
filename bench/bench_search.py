"""Search at 1,000 / 10,000 / 50,000 generated listings (BENCH_SEARCH_SIZES to change), on both
backends side by side: Whoosh (SQLite database, index folder) and PostgreSQL (SEARCH_BACKEND=postgres,
the search_documents table, in a fresh schema of postgresql:///test or BENCH_PG_URL, dropped
afterwards; skipped when unreachable, BENCH_SEARCH_BACKENDS=whoosh to leave it out).

For each size: index build rate (listings/s, through `reindex`: database reads, next dates,
analysis, Whoosh), index size, and p50/p99 latency of a fixed set of Chinese, pinyin and English
queries with all four facets counted: warm (repeated) and cold (each query's first run on a
freshly opened searcher with empty caches), printed beside a SQLite `LIKE '%…%'` scan that
counts matches in the same fields over the same data in the same run; and Chinese recall
against plain substring matching on the same queries.

Queries go through query understanding (market/search/understanding.py) with relaxation on, as
the search page runs them; the same queries as bare words are timed beside them, and the ratio
of the two p50s is what understanding costs. Relevance: the judged queries of
tests/search_relevance/judgements.txt over the demo catalogue (`flask demo seed`), as
precision@3, nDCG@10, the zero-result rate and the queries that should find nothing but do.
"""

import os
import random
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import insert, text

TARGET_P50_MS, TARGET_P99_MS = 10.0, 50.0  # Whoosh
PG_TARGET_P50_MS, PG_TARGET_P99_MS = 20.0, 80.0  # PostgreSQL (issue 21)
TARGET_PRECISION_AT_3, TARGET_NDCG_AT_10 = 0.9, 0.85

# (Chinese title, English title, kind, tags) — real products and tours of the three demo regions.
ITEMS = [
    ("泾县手工宣纸", "Handmade Xuan rice paper", "craft", "宣纸,书法"),
    ("古法宣纸四尺单宣", "Traditional rice paper, four feet", "craft", "宣纸"),
    ("宣纸制作体验课", "Papermaking workshop", "tour", "宣纸,非遗"),
    ("老党员讲红色故事", "Elders' storytelling walk", "tour", "红色故事,讲故事"),
    ("红色故事讲述之旅", "Red history storytelling tour", "tour", "红色故事"),
    ("村史馆讲解", "Village history talk", "tour", "村史"),
    ("非遗传承人手作团扇", "Round fan by a heritage master", "craft", "非遗,手工"),
    ("婺源绿茶", "Wuyuan green tea", "produce", "茶叶,绿茶"),
    ("太平猴魁", "Taiping Houkui tea", "produce", "茶叶"),
    ("散养土鸡蛋", "Free-range eggs", "produce", "鸡蛋"),
    ("篁岭茶园民宿", "Tea garden homestay", "homestay", "民宿"),
    ("梯田边的老屋民宿", "Old house homestay by the terraces", "homestay", "民宿"),
    ("竹编果篮", "Woven bamboo fruit basket", "craft", "竹编"),
    ("剪纸窗花", "Paper-cut window flowers", "craft", "剪纸"),
    ("农家腊肉", "Farmhouse cured pork", "produce", "腊肉"),
    ("土蜂蜜", "Mountain honey", "produce", "蜂蜜"),
    ("糯米糍粑", "Glutinous rice cakes", "produce", "糯米"),
    ("研学体验：采茶制茶", "Study trip: picking and firing tea", "tour", "研学,茶叶"),
    ("高山红茶", "Mountain black tea", "produce", "茶叶,红茶"),
    ("手工挂面", "Hand-pulled noodles", "produce", "挂面"),
    ("农家米酒", "Farmhouse rice wine", "produce", "米酒"),
    ("野生香菇", "Wild shiitake mushrooms", "produce", "香菇"),
    ("有机大米", "Organic rice", "produce", "大米"),
    ("红薯粉条", "Sweet potato noodles", "produce", "粉条"),
    ("土家辣椒酱", "Tujia chilli sauce", "produce", "辣椒酱"),
    ("核桃仁", "Shelled walnuts", "produce", "核桃"),
    ("小米", "Foxtail millet", "produce", "小米"),
    ("柿饼", "Dried persimmons", "produce", "柿饼"),
    ("虎头鞋", "Tiger-head baby shoes", "craft", "刺绣,虎头鞋"),
    ("蓝印花布围巾", "Blue-and-white printed scarf", "craft", "蓝印花布"),
    ("手工布鞋", "Handmade cloth shoes", "craft", "布鞋"),
    ("陶土茶杯", "Clay tea cups", "craft", "陶器"),
    ("木雕摆件", "Wood carving", "craft", "木雕"),
    ("草编凉帽", "Woven straw hat", "craft", "草编"),
    ("苗绣香包", "Miao embroidered sachet", "craft", "苗绣"),
    ("农耕文化体验", "Farming culture day", "tour", "农耕"),
    ("古村落徒步", "Old village walk", "tour", "徒步"),
    ("包粽子体验", "Making rice dumplings", "tour", "粽子"),
    ("星空露营", "Stargazing camp", "tour", "露营"),
    ("溪边木屋", "Cabin by the stream", "homestay", "木屋"),
    ("四合院客房", "Courtyard guest room", "homestay", "四合院"),
    ("稻田小院", "Rice field cottage", "homestay", "小院"),
]
DESCRIPTIONS = [
    ("{village}的老人亲手制作，{extra}。", "Made by hand by the elders of {village_en}; {extra_en}."),
    ("来自{village}，{extra}。", "From {village_en}; {extra_en}."),
    ("{village}出品，{extra}。", "Made in {village_en}; {extra_en}."),
    ("{extra}。", "{extra_en}."),
    ("跟着非遗传承人学习，{extra}。", "Learn from a master of intangible heritage; {extra_en}."),
    ("幸福院的老人讲述村子七十年的故事，{extra}。",
     "Elders tell seventy years of village stories; {extra_en}."),
    ("{extra}，每一笔收入都有一部分进入幸福院的养老互助基金。",
     "{extra_en}; part of every sale goes to the home's care fund."),
]
EXTRAS = [
    ("适合书法与国画", "good for calligraphy and painting"),
    ("可以带走自己做的一张宣纸", "take home a sheet of rice paper you made"),
    ("讲抗战年代的红色故事", "with red stories from the war years"),
    ("清晨去茶园采茶", "pick tea in the garden at dawn"),
    ("山里散养", "raised free on the hill"),
    ("宣纸扇面，竹制扇骨", "a rice paper face on a bamboo frame"),
    ("老屋改造，干净整洁", "an old house, restored and clean"),
    ("当季新鲜发货", "shipped fresh in season"),
    ("不加防腐剂", "no preservatives"),
    ("可以预约团体", "groups can book ahead"),
    ("适合带孩子来", "good for children"),
    ("包含午饭", "lunch included"),
    ("每份都是手工", "each one made by hand"),
    ("山泉水浇灌", "watered from a mountain spring"),
    ("村里的合作社统一包装", "packed by the village cooperative"),
    ("早晚温差大，味道足", "cool nights give it flavour"),
    ("家常做法", "made the home way"),
    ("送礼自用都合适", "good as a gift"),
    ("附赠使用说明", "comes with instructions"),
    ("量少，先到先得", "small batches, first come first served"),
]
PROVINCES = [("河北省", "Hebei", "肥乡区", "Feixiang"), ("安徽省", "Anhui", "泾县", "Jing County"),
             ("江西省", "Jiangxi", "婺源县", "Wuyuan"), ("浙江省", "Zhejiang", "安吉县", "Anji"),
             ("贵州省", "Guizhou", "雷山县", "Leishan")]
VILLAGES = ["前屯村", "小岭村", "篁岭村", "西坡村", "东山村", "石门村", "桃源村", "龙潭村", "柳溪村",
            "杏花村"]

# 茶 and 纸 are never words of their own (绿茶, 茶园, 宣纸, 剪纸); 子七十年 is no word at all
# (from 村子七十年的故事).
CHINESE_QUERIES = ["宣纸", "红色故事", "非遗传承人", "绿茶", "民宿", "猴魁", "土鸡蛋", "竹编", "茶", "纸",
                   "子七十年"]
PINYIN_QUERIES = ["xuanzhi", "xuan zhi", "hongse gushi", "minsu"]
ENGLISH_QUERIES = ["rice paper", "storytelling", "green tea", "homestay"]
# Synonyms, places, typos, homophones and partial matches (relaxation).
UNDERSTOOD_QUERIES = ["茶叶", "宣城", "storytellng", "宣止", "hongsegushi", "宣纸 zzqqx", "tea eggs",
                      "手机壳"]


def _generate(engine, n: int, seed: int = 42) -> None:
    from models import Home, Listing

    rng = random.Random(seed)
    homes = []
    for h in range(1, 101):
        province, province_en, county, county_en = PROVINCES[h % len(PROVINCES)]
        village = VILLAGES[h % len(VILLAGES)]
        homes.append(dict(id=h, slug=f"home-{h}", name_zh=f"{village}幸福院{h}", name_en=f"Home {h}",
                          province_zh=province, province_en=province_en, county_zh=county,
                          county_en=county_en, village_zh=village, village_en=f"Village {h}",
                          status="active" if h % 25 else "suspended"))
    rows = []
    for i in range(1, n + 1):
        title_zh, title_en, kind, tags = rng.choice(ITEMS)
        home = homes[rng.randrange(len(homes))]
        d_zh, d_en = rng.choice(DESCRIPTIONS)
        extra, extra_en = rng.choice(EXTRAS)
        status = rng.choices(["published", "draft", "archived"], [90, 5, 5])[0]
        rows.append(dict(
            id=i, home_id=home["id"], kind=kind, slug=f"l-{i}", status=status,
            title_zh=f"{title_zh}（{rng.randint(1, 999)}号）", title_en=f"{title_en} no. {i}",
            description_zh=d_zh.format(village=home["village_zh"], extra=extra),
            description_en=d_en.format(village_en=home["village_en"], extra_en=extra_en),
            tags=tags, price_fen=rng.choice([1500, 3000, 6800, 12800, 18800, 35000, 128000]),
            stock=rng.randint(0, 20) if kind in ("produce", "craft") else None, reserved=0))
    with engine.begin() as conn:
        conn.execute(insert(Home), homes)
        for start in range(0, len(rows), 5000):
            conn.execute(insert(Listing), rows[start:start + 5000])


# The fields the index searches: the listing's text and its home's name and place names.
LIKE_COLUMNS = ("l.title_zh", "l.title_en", "l.description_zh", "l.description_en", "l.tags",
                "h.name_zh", "h.name_en", "h.village_zh", "h.village_en", "h.county_zh",
                "h.county_en", "h.province_zh", "h.province_en")


def _like_count(conn, q: str) -> int:
    """Counting scan, as a site without an index would do it: every word must appear somewhere."""
    clauses, params = [], {}
    for k, word in enumerate(q.split()):
        params[f"w{k}"] = f"%{word}%"
        clauses.append("(" + " OR ".join(f"{col} LIKE :w{k}" for col in LIKE_COLUMNS) + ")")
    sql = ("SELECT count(*) FROM listings l JOIN homes h ON h.id = l.home_id "
           "WHERE l.status = 'published' AND h.status = 'active' AND " + " AND ".join(clauses))
    return conn.execute(text(sql), params).scalar()


def _substring_ids(conn, q: str) -> set[int]:
    rows = conn.execute(text(
        "SELECT l.id, l.title_zh, l.description_zh, l.tags, h.name_zh, h.village_zh, h.county_zh, "
        "h.province_zh FROM listings l JOIN homes h ON h.id = l.home_id "
        "WHERE l.status = 'published' AND h.status = 'active'"))
    return {row[0] for row in rows if any(q in value for value in row[1:] if value)}


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


@contextmanager
def _app(backend: str, folder: Path, **settings):
    """An app on a new database: a SQLite file (Whoosh), or a fresh PostgreSQL schema (dropped
    afterwards) with SEARCH_BACKEND=postgres."""
    from sqlalchemy import create_engine

    from config.settings import database_url
    from market import create_app

    folder.mkdir()
    settings |= {"SEARCH_INDEX_DIR": folder / "search", "SEARCH_BACKEND": backend}
    if backend == "whoosh":
        yield create_app(settings | {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}"})
        return
    url = database_url(os.environ.get("BENCH_PG_URL", "postgresql:///test"))
    schema = f"bench_search_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield create_app(settings | {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {
            "connect_args": {"options": f"-csearch_path={schema}"}}})
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _postgres_reachable() -> bool:
    from sqlalchemy import create_engine

    from config.settings import database_url

    try:
        engine = create_engine(database_url(os.environ.get("BENCH_PG_URL", "postgresql:///test")))
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception as error:  # noqa: BLE001 - any failure means: leave PostgreSQL out
        print(f"PostgreSQL unreachable ({error.__class__.__name__}): Whoosh only")
        return False


def run_size(n: int, workdir: Path, backend_name: str = "whoosh") -> dict:
    from market.search import indexing
    from market.search.analysis import query_words
    from market.search.backend import Query
    from market.search.understanding import highlight_words, understand
    from models import db

    result = {"n": n, "backend": backend_name}
    with _app(backend_name, workdir / f"{backend_name}-n{n}", SEARCH_SYNC=False) as app, app.app_context():
        db.create_all()
        _generate(db.engine, n)
        started = time.perf_counter()
        count = indexing.reindex()
        build = time.perf_counter() - started
        backend = indexing.backend()
        result.update(indexed=count, build_s=build, rate=count / build,
                      size_mb=backend.index_size() / 1e6)
        queries = CHINESE_QUERIES + PINYIN_QUERIES + ENGLISH_QUERIES

        def understood(q: str, **more) -> Query:
            concepts = understand(q)  # as the search page asks: understanding, relaxation on
            return Query(words=highlight_words(concepts), concepts=concepts, relax=True, limit=20, **more)

        timed = queries + UNDERSTOOD_QUERIES
        prepared = [understood(q) for q in timed]
        prepared += [understood(q, kind="craft", sort="price") for q in ("宣纸", "rice paper", "xuanzhi")]
        bare = [Query(words=query_words(q), limit=20) for q in timed]
        bare += [Query(words=query_words(q), kind="craft", sort="price", limit=20)
                 for q in ("宣纸", "rice paper", "xuanzhi")]
        cold = []
        for _round in range(3):
            for query in prepared:
                backend.drop_caches()  # a new searcher, no cached postings or columns
                t0 = time.perf_counter()
                backend.search(query)
                cold.append((time.perf_counter() - t0) * 1000)
        for query in prepared + bare:  # warm up
            backend.search(query)
        latencies, bare_latencies = [], []
        for _round in range(10):
            for query in prepared:
                t0 = time.perf_counter()
                backend.search(query)
                latencies.append((time.perf_counter() - t0) * 1000)
            for query in bare:
                t0 = time.perf_counter()
                backend.search(query)
                bare_latencies.append((time.perf_counter() - t0) * 1000)
        result.update(p50=_percentile(latencies, 50), p99=_percentile(latencies, 99),
                      cold_p50=_percentile(cold, 50), cold_p99=_percentile(cold, 99),
                      bare_p50=_percentile(bare_latencies, 50), bare_p99=_percentile(bare_latencies, 99),
                      matches={q: backend.search(Query(words=query_words(q), limit=1)).total
                               for q in queries})
        like_latencies = []
        with db.engine.connect() as conn:
            for _round in range(2):
                for q in queries:
                    t0 = time.perf_counter()
                    _like_count(conn, q)
                    like_latencies.append((time.perf_counter() - t0) * 1000)
            recalls = {}
            for q in CHINESE_QUERIES:
                expected = _substring_ids(conn, q)
                found = set(backend.search(Query(words=query_words(q), limit=n)).ids)
                recalls[q] = len(found & expected) / len(expected) if expected else 1.0
        result.update(like_p50=_percentile(like_latencies, 50), like_p99=_percentile(like_latencies, 99),
                      recall=min(recalls.values()), recalls=recalls)
        db.engine.dispose()
    return result


def run_relevance(workdir: Path, backend_name: str = "whoosh"):
    """The judged queries over the demo catalogue, through the search page's service."""
    from market.demo.seed import seed
    from market.search import evaluation, indexing
    from models import db

    folder = workdir / f"{backend_name}-demo"
    with _app(backend_name, folder, UPLOAD_ROOT=folder / "uploads", SERVER_NAME="localhost",
              SEARCH_SYNC=False) as app, app.app_context():
        db.create_all()
        seed()
        indexing.reindex()
        with app.test_request_context("/search"):
            report = evaluation.evaluate(evaluation.service_search)
        db.engine.dispose()
    return report


def _print_relevance(name: str, relevance) -> None:
    print(f"{name}: precision@3 {relevance.precision_at_3:.4f}   nDCG@10 {relevance.ndcg_at_10:.4f}   "
          f"zero-result rate {relevance.zero_result_rate:.3f} {relevance.zero_results}   "
          f"wrong finds {len(relevance.wrong_finds)} {relevance.wrong_finds}")
    for query, p3, top in relevance.worst[:10]:
        print(f"   P@3 {p3:.2f}  {query}: {', '.join(top)}")


def _size_figures(r: dict) -> dict:
    return {
        "listings": r["n"], "found": r["indexed"], "build_seconds": r["build_s"],
        "build_listings_per_s": r["rate"], "index_mb": r["size_mb"],
        "warm_p50_ms": r["p50"], "warm_p99_ms": r["p99"], "cold_p50_ms": r["cold_p50"],
        "cold_p99_ms": r["cold_p99"], "like_p50_ms": r["like_p50"], "like_p99_ms": r["like_p99"],
        "times_faster_than_like_cold": r["like_p50"] / r["cold_p50"], "chinese_recall": r["recall"],
        "bare_words_p50_ms": r["bare_p50"], "bare_words_p99_ms": r["bare_p99"],
        "understood_p50_over_bare_p50": r["p50"] / r["bare_p50"],
        "matches": r["matches"],
    }


def _relevance_figures(relevance) -> dict:
    return {
        "judged_queries": relevance.judged, "nothing_queries": relevance.nothing_queries,
        "precision_at_3": relevance.precision_at_3, "ndcg_at_10": relevance.ndcg_at_10,
        "zero_result_rate": relevance.zero_result_rate, "zero_results": relevance.zero_results,
        "wrong_finds": relevance.wrong_finds,
    }


def main() -> bool:
    from bench import record

    sizes = [int(s) for s in os.environ.get("BENCH_SEARCH_SIZES", "1000,10000,50000").split(",")]
    backends = os.environ.get("BENCH_SEARCH_BACKENDS", "whoosh,postgres").split(",")
    if "postgres" in backends and not _postgres_reachable():
        backends.remove("postgres")
    run = record.Run("search", parameters={"sizes": sizes, "backends": backends,
                                           "queries": len(CHINESE_QUERIES + PINYIN_QUERIES + ENGLISH_QUERIES
                                                          + UNDERSTOOD_QUERIES) + 3,
                                           "warm_rounds": 10, "cold_rounds": 3})
    results: dict[str, list[dict]] = {name: [] for name in backends}
    relevance = {}
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        for name in backends:
            relevance[name] = run_relevance(Path(tmp), name)
        first = relevance[backends[0]]
        print(f"judged queries: {first.judged} with relevant listings, {first.nothing_queries} "
              f"that should find nothing (tests/search_relevance/judgements.txt)")
        for name in backends:
            _print_relevance(name, relevance[name])
        print(f"{'backend':>8} {'listings':>9} {'build/s':>8} {'index MB':>9} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'cold p50':>9} {'cold p99':>9} {'LIKE p50':>9} {'LIKE p99':>9} {'x faster':>9} "
              f"{'zh recall':>9} {'bare p50':>9} {'÷ bare':>7}", flush=True)
        for n in sizes:
            for name in backends:
                r = run_size(n, Path(tmp), name)
                results[name].append(r)
                print(f"{name:>8} {r['n']:>9} {r['rate']:>8.0f} {r['size_mb']:>9.1f} {r['p50']:>7.1f} "
                      f"{r['p99']:>7.1f} {r['cold_p50']:>9.1f} {r['cold_p99']:>9.1f} {r['like_p50']:>9.1f} "
                      f"{r['like_p99']:>9.1f} {r['like_p50'] / r['cold_p50']:>9.1f} {r['recall']:>9.2f} "
                      f"{r['bare_p50']:>9.1f} {r['p50'] / r['bare_p50']:>7.2f}", flush=True)
                print("   matches per query:", " ".join(f"{q}={m}" for q, m in r["matches"].items()),
                      flush=True)
                if r["recall"] < 1.0:
                    print("   recall by query:", r["recalls"])
    targets: list[dict] = []
    figures: dict = {}
    ok = True
    for name in backends:
        last = results[name][-1]
        rel = relevance[name]
        p50_limit, p99_limit = ((TARGET_P50_MS, TARGET_P99_MS) if name == "whoosh"
                                else (PG_TARGET_P50_MS, PG_TARGET_P99_MS))
        at = f"{name} at {last['n']} listings"
        limits = (("warm p50", "p50", p50_limit), ("cold p50", "cold_p50", p50_limit),
                  ("warm p99", "p99", p99_limit), ("cold p99", "cold_p99", p99_limit))
        mine = [record.target(f"{which} {at}", f"< {limit:.0f} ms", last[key], last[key] < limit)
                for which, key, limit in limits]
        mine.append(record.target(f"cold p50 ÷ LIKE p50 {at}", "< 1", last["cold_p50"] / last["like_p50"],
                                  last["cold_p50"] < last["like_p50"]))
        mine.append(record.target(f"Chinese recall {at}", "1.0", last["recall"], last["recall"] == 1.0))
        mine += [
            record.target(f"{name} judged precision@3", f">= {TARGET_PRECISION_AT_3}", rel.precision_at_3,
                          rel.precision_at_3 >= TARGET_PRECISION_AT_3),
            record.target(f"{name} judged nDCG@10", f">= {TARGET_NDCG_AT_10}", rel.ndcg_at_10,
                          rel.ndcg_at_10 >= TARGET_NDCG_AT_10),
            record.target(f"{name} judged queries with a relevant listing that find nothing", "0",
                          len(rel.zero_results), not rel.zero_results),
            record.target(f"{name} queries that should find nothing but find something", "0",
                          len(rel.wrong_finds), not rel.wrong_finds),
        ]
        if name != "whoosh" and "whoosh" in relevance:
            same = (round(rel.precision_at_3, 6), round(rel.ndcg_at_10, 6)) == (
                round(relevance["whoosh"].precision_at_3, 6), round(relevance["whoosh"].ndcg_at_10, 6))
            mine.append(record.target(f"{name} relevance equals Whoosh's (P@3, nDCG@10)", "equal",
                                      f"{rel.precision_at_3:.4f}, {rel.ndcg_at_10:.4f}", same))
        met = all(t["met"] for t in mine)
        ok = ok and met
        print(f"{name} target at {last['n']} listings (p50 < {p50_limit:.0f} ms, p99 < {p99_limit:.0f} ms, "
              f"warm and cold; cold faster than LIKE; recall 1.0) and judged relevance: "
              f"{'met' if met else 'MISSED'}")
        targets += mine
        figures[name] = {str(r["n"]): _size_figures(r) for r in results[name]}
        figures[name]["relevance"] = _relevance_figures(rel)
    if "whoosh" in backends and "postgres" in backends:
        figures["postgres_p50_over_whoosh_p50"] = {
            str(a["n"]): a["p50"] / b["p50"]
            for a, b in zip(results["postgres"], results["whoosh"], strict=True)}
    run.write(figures, targets)
    return ok
