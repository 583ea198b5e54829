"""The vocabularies (``schema.VOCABULARY_FIELDS``): the words behind prefixes, fuzzy words and
suggestions stay through updates and merges, each filed once per segment."""

from __future__ import annotations

from pathlib import Path

from briefreader.search.index.indexer import update_index
from briefreader.search.index.schema import VOCABULARY_FIELDS
from briefreader.search.index.store import open_active
from briefreader.search.library import Library
from briefreader.workspace import Workspace
from tests.conftest import make_workspace

NAMES = ["walrus", "pelican", "heron", "otter", "badger", "osprey", "marten", "plover"]


def _articles() -> dict[str, str]:
    """One article per name: the name in its title, and a body word of its own."""
    return {
        f"{n:02d}-{name}.txt": f"Report on the {name}\n\nThe {name} was seen near {name}ville.\n"
        for n, name in enumerate(NAMES)
    }


def _titles(library: Library, query: str) -> set[str]:
    return {hit.title for hit in library.search(query, limit=50).hits}


def _first_article(workspace: Workspace) -> str:
    """The id of the article of the index's document 0 (its file is named by it here)."""
    ix, _ = open_active(workspace.index_dir, lambda _folder: None)
    with ix.reader() as reader:
        return str(reader.stored_fields(0)["article_id"])


def _segments(workspace: Workspace) -> int:
    ix, _ = open_active(workspace.index_dir, lambda _folder: None)
    with ix.reader() as reader:
        return len(list(reader.leaf_readers()))


def _postings_per_word(workspace: Workspace) -> set[int]:
    ix, _ = open_active(workspace.index_dir, lambda _folder: None)
    with ix.reader() as reader:
        return {
            info.doc_frequency()
            for name in VOCABULARY_FIELDS
            for _word, info in reader.iter_field(name)
        }


def test_title_words_survive_an_edit_of_the_first_article_and_a_merge(tmp_path: Path) -> None:
    """Whoosh filed every title word of a segment under its first document, and its merge
    dropped them all once that document was deleted: ``title:pelicn~1`` then found
    nothing, and a title prefix only the first article's words."""
    workspace = Workspace(make_workspace(tmp_path, _articles()))
    update_index(workspace)
    first = workspace.articles_dir / f"{_first_article(workspace)}.txt"
    first.write_text(first.read_text("utf-8") + "\nA late correction.\n", "utf-8")
    update_index(workspace)  # a small index: its one segment and the new one are merged
    assert _segments(workspace) == 1
    library = Library.open(workspace)
    try:
        assert _titles(library, "title:pelicn~1") == {"Report on the pelican"}
        assert _titles(library, "title:osp*") == {"Report on the osprey"}
        assert _titles(library, "herronville~1") == {"Report on the heron"}
        assert library.search("title:plovr").suggestion == "title:plover"
    finally:
        library.close()
    assert _postings_per_word(workspace) == {1}  # one posting per word of the segment


def test_a_word_no_article_holds_any_more_is_not_suggested(tmp_path: Path) -> None:
    """The vocabulary keeps the words of deleted articles until a rebuild; a suggestion
    skips them once their stems are in no document."""
    files = {
        **_articles(),
        "gone.txt": "Gone\n\nThe quokka left.\n",
        "kept.txt": "Kept\n\nThe quokkas stayed.\n",
    }
    workspace = Workspace(make_workspace(tmp_path, files))
    update_index(workspace)
    library = Library.open(workspace)
    try:
        assert library.search("quokkka").suggestion == "quokka"
    finally:
        library.close()
    (workspace.articles_dir / "gone.txt").unlink()
    (workspace.articles_dir / "kept.txt").unlink()
    (workspace.articles_dir / "late.txt").write_text("Late\n\nThe quokker came.\n", "utf-8")
    update_index(workspace)
    library = Library.open(workspace)
    try:
        assert library.search("quokkka").suggestion == "quokker"
        assert _titles(library, "quokk*") == {"Late"}
    finally:
        library.close()
