"""The Whoosh backend (whoosh-reloaded, the maintained fork of Whoosh 2.7).

Layout under the index folder (SEARCH_INDEX_DIR):

    CURRENT          name of the live index folder, replaced atomically (os.replace)
    ix-<stamp>/      a Whoosh index; `rebuild` writes a new one beside the live one, then
                     points CURRENT at it and deletes all but the previous one
    REBUILDING       present while a rebuild runs

Readers keep one searcher per thread and process, re-read CURRENT and check the searcher is up
to date on every search (cheap when nothing changed; a new searcher when something did).
Writers take Whoosh's file lock, so several processes can search while one writes and
concurrent writers wait their turn.

Answering a query (matching, scoring, facets, sorts, suggestions over the searcher's arrays)
is whoosh_query.py's WhooshQueries, which this class extends with the index's files.
"""

import fcntl
import os
import shutil
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from market.search import segments
from market.search.backend import Document, SearchBackend
from market.search.whoosh_query import WhooshQueries
from market.search.whoosh_schema import codec, storage, to_fields

STALE_REBUILD_SECONDS = 3600

_local = threading.local()


class WhooshBackend(WhooshQueries, SearchBackend):
    def __init__(self, base_dir: str | os.PathLike, write_timeout: float = 10.0,
                 kind_words: dict[str, str] | None = None):
        super().__init__(kind_words)
        self.base = Path(base_dir)
        self.write_timeout = write_timeout

    # ---- locations ---------------------------------------------------------------------

    def _current_name(self) -> str | None:
        try:
            name = (self.base / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        return name if name and (self.base / name).is_dir() else None

    def _point_current(self, name: str) -> None:
        tmp = self.base / f"CURRENT.{os.getpid()}.tmp"
        with open(tmp, "w") as handle:
            handle.write(name)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.base / "CURRENT")

    @contextmanager
    def _base_lock(self):
        self.base.mkdir(parents=True, exist_ok=True)
        with open(self.base / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _new_dir(self) -> tuple[str, Path]:
        name = f"ix-{time.time_ns()}-{os.getpid()}"
        path = self.base / name
        path.mkdir(parents=True)
        return name, path

    def _writable_index(self):
        name = self._current_name()
        if name is None:
            with self._base_lock():
                name = self._current_name()
                if name is None:
                    name, path = self._new_dir()
                    storage(path).create_index(self.schema)
                    self._point_current(name)
        return storage(self.base / name).open_index()

    def current_path(self) -> Path | None:
        name = self._current_name()
        return None if name is None else self.base / name

    # ---- writing -----------------------------------------------------------------------

    def index(self, documents: Iterable[Document]) -> None:
        self.update(documents, ())

    def remove(self, listing_ids: Iterable[int]) -> None:
        self.update((), listing_ids)

    def update(self, documents: Iterable[Document], removed_ids: Iterable[int]) -> None:
        documents = list(documents)
        removed_ids = list(removed_ids)
        if not documents and not removed_ids:
            return
        ix = self._writable_index()
        writer = ix.writer(timeout=self.write_timeout, codec=codec())
        try:
            for listing_id in removed_ids:
                writer.delete_by_term("id", str(listing_id))
            for doc in documents:
                writer.update_document(**to_fields(doc))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuilding(self) -> bool:
        marker = self.base / "REBUILDING"
        try:
            return time.time() - marker.stat().st_mtime < STALE_REBUILD_SECONDS
        except FileNotFoundError:
            return False

    def rebuild(self, documents: Iterable[Document], after_swap=None) -> int:
        """Build into a new folder beside the live one, then swap CURRENT to it atomically.

        `after_swap()` runs after the swap but before the REBUILDING marker goes away: the
        service uses it to apply changes queued while the build ran.
        """
        self.base.mkdir(parents=True, exist_ok=True)
        marker = self.base / "REBUILDING"
        marker.write_text(str(os.getpid()))
        try:
            name, path = self._new_dir()
            ix = storage(path).create_index(self.schema)
            writer = ix.writer(limitmb=256, codec=codec())
            count = 0
            try:
                for doc in documents:
                    writer.add_document(**to_fields(doc))
                    count += 1
            except BaseException:
                writer.cancel()
                shutil.rmtree(path, ignore_errors=True)
                raise
            writer.commit()
            with self._base_lock():
                previous = self._current_name()
                self._point_current(name)
            if after_swap is not None:
                after_swap()
            self._remove_old(keep={name, previous})
            return count
        finally:
            marker.unlink(missing_ok=True)

    def _remove_old(self, keep: set) -> None:
        # The previous index stays, so a reader still holding it finishes its request.
        for entry in self.base.iterdir():
            if entry.is_dir() and entry.name.startswith("ix-") and entry.name not in keep:
                shutil.rmtree(entry, ignore_errors=True)

    # ---- reading -----------------------------------------------------------------------

    def _searcher(self):
        name = self._current_name()
        if name is None:
            return None
        cache = getattr(_local, "searchers", None)
        if cache is None:
            cache = _local.searchers = {}
        key = str(self.base)
        held = cache.get(key)
        if held is not None and held[0] == name:
            _name, ix, searcher = held
            if searcher.up_to_date():
                return searcher
            # Not searcher.refresh(): in whoosh-reloaded 2.7.5 it re-adds the segments a
            # merge replaced, so updated documents show twice. A new searcher is correct.
            searcher.close()
        else:
            if held is not None:
                held[2].close()
            ix = storage(self.base / name).open_index()
        searcher = ix.searcher()
        searcher.market_index_key = str(self.base / name)  # names its segments in the cache
        cache[key] = (name, ix, searcher)
        return searcher

    def drop_caches(self) -> None:
        """Close this thread's searcher and forget cached postings and columns, so the next
        search starts cold (the benchmark's first-query figures)."""
        for _name, _ix, searcher in getattr(_local, "searchers", {}).values():
            searcher.close()
        _local.searchers = {}
        segments.cache.clear()

    def doc_count(self) -> int:
        searcher = self._searcher()
        return 0 if searcher is None else searcher.doc_count()

    def index_size(self) -> int:
        path = self.current_path()
        if path is None:
            return 0
        return sum(f.stat().st_size for f in path.iterdir() if f.is_file())
