"""An index written before the search/ split names its analyzer by the old module path."""

from __future__ import annotations

import pickle

from briefreader.search.index.schema import DottedAcronymFilter


def test_old_pickled_analyzer_path_still_loads() -> None:
    blob = pickle.dumps(DottedAcronymFilter(), protocol=0)  # text: names can be replaced
    old = blob.replace(b"briefreader.search.index.schema", b"briefreader.search.schema")
    assert b"briefreader.search.schema" in old
    assert isinstance(pickle.loads(old), DottedAcronymFilter)
