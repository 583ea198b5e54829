"""Where the schema lived before ``search/index/``: indexes written then pickled their analyzer
classes under this name, so this alias lets them open (and be updated) without a rebuild."""

from briefreader.search.index.schema import DottedAcronymFilter

__all__ = ["DottedAcronymFilter"]
