"""The write side of search: the Whoosh schema, the index folders and their lock, the
catalog, the documents written per article and passage, and the incremental indexer.

Nothing here imports the read side (``search.library``, ``search.related``): readers import
from here, never the other way round.
"""
