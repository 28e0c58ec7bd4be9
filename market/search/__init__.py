"""Full-text search over published listings: Chinese, pinyin and English, with facets.

`backend.py` is the small interface the rest of the app uses; `whoosh_backend.py` implements
it with Whoosh and the analyzers of `analysis.py`; `service.py` turns listings into documents,
keeps the index in step with committed changes and answers the search page.
"""
