"""The Whoosh patches behave like the code they replace, minus its cost."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from whoosh.codec import whoosh3

from briefreader.search.index import block_writer
from briefreader.search.index.whoosh_patches import MemoryReader


@given(st.binary(max_size=2000), st.lists(st.integers(-1, 600), max_size=12))
def test_memory_reader_reads_like_bytesio(data: bytes, sizes: list[int]) -> None:
    ours, theirs = MemoryReader(memoryview(data)), io.BytesIO(data)
    for n, size in enumerate(sizes):
        if n % 3 == 0:
            assert ours.readline(size) == theirs.readline(size)
        elif n % 3 == 1:
            assert ours.read(size) == theirs.read(size)
        else:
            position = abs(size) % (len(data) + 1)
            assert ours.seek(position) == theirs.seek(position)
        assert ours.tell() == theirs.tell()
    target_ours, target_theirs = bytearray(7), bytearray(7)
    assert ours.readinto(target_ours) == theirs.readinto(target_theirs)
    assert target_ours == target_theirs


@given(st.binary(max_size=2000), st.integers(0, 2000), st.integers(-1, 3000))
def test_peek_shows_what_comes_next_without_moving(data: bytes, start: int, size: int) -> None:
    reader = MemoryReader(data)
    reader.seek(start)
    ahead = reader.peek(size)
    assert reader.tell() == start and data[start:].startswith(ahead)
    assert ahead or start >= len(data)


def test_memory_reader_unpickles_and_seeks_from_the_end() -> None:
    payload = {"a": [1, 2, 3], "b": "text\nwith lines"}
    data = b"header" + pickle.dumps(payload, protocol=0) + pickle.dumps(payload, protocol=-1)
    reader = MemoryReader(data)
    reader.seek(6)
    assert pickle.load(reader) == payload  # type: ignore[arg-type]
    assert pickle.load(reader) == payload  # type: ignore[arg-type]
    assert reader.seek(-3, 2) == len(data) - 3 and reader.read() == data[-3:]
    assert list(MemoryReader(b"one\ntwo\nthree")) == [b"one\n", b"two\n", b"three"]


def test_an_open_index_reads_from_the_mapping_not_a_copy(sample_workspace: Path) -> None:
    from whoosh.filedb.structfile import BufferFile

    from briefreader.search.library import Library
    from briefreader.workspace import Workspace

    library = Library.open(Workspace(sample_workspace))
    try:
        assert library.search("Sudani").hits
        reader = library.searcher.reader()
        parts = [reader, *(getattr(reader, "readers", lambda: [])())]
        parts += [
            p for r in parts for p in (getattr(r, "_terms", None), getattr(r, "_perdoc", None))
        ]
        files = [f for part in parts if part for f in vars(part).values()]
        files = [f for f in files if isinstance(f, BufferFile)]
        assert files and all(isinstance(f.file, MemoryReader) for f in files)
    finally:
        library.close()


@given(
    st.lists(
        st.dictionaries(st.integers(0, 299), st.floats(0.01, 10.0), max_size=40),
        min_size=1,
        max_size=5,
    ),
    st.integers(1, 300),
    st.sampled_from([0, 1, 7, 2048]),
    st.lists(st.integers(0, 320), max_size=4),
)
def test_array_union_matches_the_union_of_its_parts(
    parts: list[dict[int, float]], doccount: int, partsize: int, skips: list[int]
) -> None:
    """The patched ``ArrayUnionMatcher`` (array sized to the segment, cleared in one step)
    yields every document of any part, with the parts' scores summed, skips included."""
    from whoosh.matching import ListMatcher, combo

    parts = [{d: w for d, w in part.items() if d < doccount} for part in parts]
    children = [ListMatcher(sorted(p), [p[d] for d in sorted(p)]) for p in parts]
    matcher = combo.ArrayUnionMatcher(children, doccount, partsize=partsize)
    expected: dict[int, float] = {}
    for part in parts:
        for docnum, weight in part.items():
            expected[docnum] = expected.get(docnum, 0.0) + weight
    found: dict[int, float] = {}
    targets = sorted(skips)
    while matcher.is_active():
        if targets and targets[0] > matcher.id():
            matcher.skip_to(targets.pop(0))
            continue
        found[matcher.id()] = matcher.score()
        matcher.next()
    kept = {d: w for d, w in expected.items() if d in found}
    assert found.keys() <= expected.keys()
    assert all(abs(found[d] - kept[d]) < 1e-9 for d in found)
    skipped_over = set(expected) - set(found)
    assert all(any(d < t for t in sorted(skips)) for d in skipped_over)


@given(st.lists(st.integers(0, 2**32 - 1), max_size=40, unique=True))
def test_compact_positions_round_trip(positions: list[int]) -> None:
    from briefreader.search.index.schema import CompactPositions

    fmt = CompactPositions(field_boost=1.5)
    value = fmt.encode(sorted(positions))
    assert fmt.decode_positions(value) == sorted(positions)
    assert fmt.decode_frequency(value) == len(positions)
    assert fmt.decode_weight(value) == 1.5 * len(positions)


def test_one_position_is_written_as_any_list_of_positions() -> None:
    """A single position under 256 (most words of an article) skips the gaps and the array;
    its bytes are those of the general case."""
    import struct

    from briefreader.search.index.schema import CompactPositions

    fmt = CompactPositions()
    for position in [0, 1, 200, 255, 256, 65_535, 65_536]:
        code = "B" if position <= 0xFF else "H" if position <= 0xFFFF else "I"
        value = fmt.encode([position])
        assert value == code.encode() + struct.pack("<" + code, position)
        assert fmt.decode_positions(value) == [position]


def test_postings_are_small_and_phrases_still_match(tmp_path: Path) -> None:
    """Posting blocks are pickled with protocol 3 and positions kept compactly: a body
    posting of one position costs a few bytes, not Whoosh's ~15 (and phrases still work)."""
    from whoosh import index
    from whoosh.query import Phrase

    from briefreader.search.index import store  # noqa: F401 - applies the patches
    from briefreader.search.index.schema import build_schema

    ix = index.create_in(str(tmp_path), build_schema())
    with ix.writer() as writer:
        for n in range(200):
            writer.add_document(doc_id=f"a{n}", kind="article", body=f"ferry crossing {n} late")
    with ix.searcher() as searcher:
        matcher = searcher.reader().postings("body", "ferri")
        length = matcher._nextoffset - matcher._dataoffset
        assert length < 200 * 3  # 200 postings: under 3 bytes each after zlib
        found = searcher.search(Phrase("body", ["ferri", "cross"]), limit=None)
        assert len(found) == 200
        assert not searcher.search(Phrase("body", ["cross", "ferri"]), limit=None)


def test_short_blocks_are_stored_without_compression(tmp_path: Path, monkeypatch) -> None:
    """A block under ``BLOCK_COMPRESS_FROM`` bytes skips zlib (it would not get shorter), a
    long one is compressed, and both read back the same postings."""
    import zlib

    from whoosh import index

    from briefreader.search.index import store  # noqa: F401 - applies the patches
    from briefreader.search.index.schema import build_schema

    compressed: list[int] = []

    class CountingZlib:
        def __getattr__(self, name: str):
            return getattr(zlib, name)

        def compress(self, data: bytes, level: int = -1) -> bytes:
            compressed.append(len(data))
            return zlib.compress(data, level)

    monkeypatch.setattr(block_writer, "zlib", CountingZlib())
    ix = index.create_in(str(tmp_path), build_schema())
    with ix.writer() as writer:
        for n in range(100):
            body = "harbour pilot" + (" lighthouse" if n in (7, 42) else "")
            writer.add_document(doc_id=f"a{n}", kind="article", body=body)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        rare, common = reader.postings("body", "lighthous"), reader.postings("body", "harbour")
        assert rare._compression == 0
        assert common._compression > 0
        assert list(rare.all_ids()) == [7, 42]
        assert list(common.all_ids()) == list(range(100))
    assert compressed  # the long blocks
    assert min(compressed) >= block_writer.BLOCK_COMPRESS_FROM


def test_whole_weights_are_written_as_ints() -> None:
    from briefreader.search.index.block_writer import _whole_weights

    assert _whole_weights((1.0, 3.0, 12.0)) == (1, 3, 12)
    assert _whole_weights((1.0, 2.5)) == (1.0, 2.5)  # boosted fields keep their floats
    assert _whole_weights(None) is None and _whole_weights(2.0) == 2.0


def test_stored_values_use_the_preset_dictionary(tmp_path: Path) -> None:
    """Stored values are deflated with ``STORED_DICTIONARY`` (a passage's keys cost next to
    nothing), read back as they were; values of an older index (plain zlib) still read."""
    import zlib

    from whoosh import index

    from briefreader.search.index import whoosh_patches
    from briefreader.search.index.schema import build_schema

    # The index's stored values need these exact bytes: a change needs a new index format.
    assert zlib.adler32(whoosh_patches.STORED_DICTIONARY) == 3712731010
    ix = index.create_in(str(tmp_path), build_schema())
    fields = {
        "article_id": "a1",
        "kind": "passage",
        "number": 3,
        "terms": "ferri",
        "text": "Ferry.",
    }
    with ix.writer() as writer:
        writer.add_document(**fields)
    with ix.reader() as reader:
        assert reader.stored_fields(0) == fields
        column = reader.leaf_readers()[0][0]._perdoc._cached_reader(
            "_stored", whoosh3.STORED_COLUMN
        )
        raw = column._child.__class__.__bases__[0].__getitem__(column._child, 0)
    assert raw[1] & 0x20  # zlib's FDICT flag: deflated with a preset dictionary
    assert len(raw) < len(zlib.compress(pickle.dumps(fields, 2), 3)) - 20
    assert whoosh_patches._inflate(zlib.compress(b"older index", 3)) == b"older index"


def _term_lengths(folder: Path, flush: object, monkeypatch: object) -> list[tuple]:
    from whoosh import fields, index, writing

    monkeypatch.setattr(writing.SegmentWriter, "_flush_segment", flush)  # type: ignore[attr-defined]
    folder.mkdir()
    schema = fields.Schema(a=fields.TEXT(), b=fields.TEXT(phrase=False), k=fields.KEYWORD())
    ix = index.create_in(str(folder), schema)
    writer = ix.writer()
    for n in range(300):
        words = " ".join(f"w{(n * i) % 37}" for i in range(n % 29))
        writer.add_document(a=words, b=words[: n % 17], k=f"k{n % 5}")
    writer.commit()
    with ix.searcher() as searcher:
        reader = searcher.reader()
        rows: list[tuple] = []
        for field, text in reader.all_terms():
            info = reader.term_info(field, text)
            rows.append((field, text, info.min_length(), info.max_length(), info.weight()))
        for doc in range(300):
            rows.append((doc, reader.doc_field_length(doc, "a"), reader.doc_field_length(doc, "b")))
    return rows


def test_lengths_read_once_per_field_write_what_whoosh_writes(tmp_path: Path, monkeypatch) -> None:
    from briefreader.search.index import whoosh_patches

    ours = _term_lengths(tmp_path / "ours", whoosh_patches._flush_segment, monkeypatch)
    theirs = _term_lengths(tmp_path / "theirs", whoosh_patches.WHOOSH_FLUSH_SEGMENT, monkeypatch)
    assert ours == theirs
    assert any(row[2] for row in ours if len(row) == 5)  # lengths were written


def test_fast_word_values_give_what_whoosh_gives() -> None:
    """Our formats' word values from the one-loop analyzer are Whoosh's, item for item."""
    from whoosh import formats

    from briefreader.search.index import whoosh_patches
    from briefreader.search.index.schema import CompactPositions, text_analyzer, word_analyzer

    text = "The U.S. ferry, the ferries and the FERRY: late talks on U.N. ferry talks. Late."
    cases = [
        (CompactPositions(field_boost=1.5), text_analyzer(), {}),
        (formats.Positions(field_boost=2.5), text_analyzer(), {}),
        (formats.Frequency(field_boost=1.0), text_analyzer(), {}),
        (formats.Existence(field_boost=1.0), word_analyzer(), {}),
        (formats.Frequency(field_boost=1.0), text_analyzer(), {"no_morph": True}),
    ]
    for format_, analyzer, options in cases:
        base = next(k for k in whoosh_patches.WHOOSH_WORD_VALUES if isinstance(format_, k))
        whoosh_items = whoosh_patches.WHOOSH_WORD_VALUES[base](
            format_, text, analyzer, mode="index", **options
        )
        ours = list(format_.word_values(text, analyzer, mode="index", **options))
        theirs = list(whoosh_items)
        assert sorted(ours) == sorted(theirs) and len(ours) >= 4
        assert [type(item[2]) for item in ours] == [type(item[2]) for item in theirs]


_WORDS = ("ab", "cd", "ef", "gh")


def _private_folder() -> str:
    """A folder of this test's own for an index: Whoosh's ``RamStorage`` writes its
    temporary files in ``$TMPDIR/MAIN.tmp``, shared by every process on the machine (a test
    run beside another failed on the other's deleted file)."""
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="briefreader-test-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@given(
    st.lists(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=30), min_size=1, max_size=25),
    st.lists(st.sampled_from(_WORDS), min_size=2, max_size=4),
    st.integers(1, 3),
)
def test_exact_phrases_match_what_whoosh_matches(
    documents: list[list[str]], phrase: list[str], slop: int
) -> None:
    """The sets-of-positions path for an exact phrase finds the documents and spans
    Whoosh's pairwise walk finds (repeated words, overlaps, a phrase of one word repeated);
    other slops take Whoosh's path."""
    from whoosh import fields, index
    from whoosh.analysis import SimpleAnalyzer
    from whoosh.query import Phrase
    from whoosh.query.spans import SpanNear2

    from briefreader.search.index import whoosh_patches
    from briefreader.search.index.schema import _compact

    schema = fields.Schema(
        plain=fields.TEXT(analyzer=SimpleAnalyzer()),
        compact=_compact(fields.TEXT(analyzer=SimpleAnalyzer())),
    )
    ix = index.create_in(_private_folder(), schema)  # RamStorage's temp folder is shared
    with ix.writer() as writer:
        for words in documents:
            writer.add_document(plain=" ".join(words), compact=" ".join(words))
    matcher_class = SpanNear2.SpanNear2Matcher
    with ix.searcher() as searcher:
        for field in ("plain", "compact"):
            found = {}
            for name, get_spans in (
                ("whoosh", whoosh_patches._ORIGINAL_NEAR_SPANS),
                ("patched", whoosh_patches._near_spans),
            ):
                matcher_class._get_spans = get_spans
                try:
                    matcher = Phrase(field, phrase, slop=slop).matcher(searcher)
                    spans = []
                    while matcher.is_active():
                        spans.append((matcher.id(), matcher.spans()))
                        matcher.next()
                finally:
                    matcher_class._get_spans = whoosh_patches._near_spans
                found[name] = spans
            assert found["patched"] == found["whoosh"]


def test_field_lengths_read_once_give_what_whoosh_gives(tmp_path: Path) -> None:
    """Every document's length of every field (scored text, keyword, none at all), as
    Whoosh's ``doc_field_length`` gives it: a zero length, a field without lengths, a
    document number past the last one."""
    import pytest
    from whoosh import index

    from briefreader.search.index import whoosh_patches
    from briefreader.search.index.schema import build_schema

    ix = index.create_in(str(tmp_path), build_schema())
    with ix.writer() as writer:
        for n in range(300):
            words = " ".join(f"w{k}" for k in range(n % 40))  # 0 to 39 words
            heading = "a heading" if n % 7 == 0 else ""
            writer.add_document(
                doc_id=f"a{n}", kind="article", title=f"title {n}", body=words, heading=heading
            )
    with ix.searcher() as searcher:
        (reader, _offset), *_ = searcher.reader().leaf_readers()
        perdoc = reader._perdoc
        theirs = whoosh_patches.WHOOSH_DOC_FIELD_LENGTH
        count = perdoc.doc_count_all()
        for field in ("title", "body", "heading", "kind", "doc_id", "no_such_field"):
            for docnum in range(count + 1):
                mine = perdoc.doc_field_length(docnum, field, 7)
                assert mine == theirs(perdoc, docnum, field, 7), (field, docnum)
        with pytest.raises(IndexError):
            perdoc.doc_field_length(count + 5, "body")


@given(st.lists(st.integers(0, 900), min_size=1, max_size=40))
def test_skipping_in_a_posting_list_lands_where_whoosh_lands(targets: list[int]) -> None:
    """Bisection inside a block, block skips, targets behind, at and past the end: the
    matcher stands on the document Whoosh's step-by-step ``skip_to`` stands on."""
    from whoosh import fields, index
    from whoosh.matching.mcore import ReadTooFar

    from briefreader.search.index import whoosh_patches

    schema = fields.Schema(body=fields.TEXT())
    ix = index.create_in(_private_folder(), schema)  # RamStorage's temp folder is shared
    with ix.writer() as writer:
        for n in range(800):  # "ferry" in 3 documents of 4: several posting blocks
            writer.add_document(body="ferry crossing" if n % 4 else "crossing")
    with ix.searcher() as searcher:
        ours = searcher.reader().postings("body", "ferry")
        theirs = searcher.reader().postings("body", "ferry")
        for target in sorted(targets) if targets[0] % 2 else targets:
            outcome = []
            for matcher, skip_to in (
                (ours, whoosh_patches._leaf_skip_to),
                (theirs, whoosh_patches.WHOOSH_LEAF_SKIP_TO),
            ):
                try:
                    skip_to(matcher, target)
                    outcome.append(matcher.id() if matcher.is_active() else "end")
                except ReadTooFar:
                    outcome.append("too far")
            assert outcome[0] == outcome[1], target


def test_a_blocks_ids_are_whooshs() -> None:
    """``_read_ids`` sums a block's gaps as Whoosh's ``delta_decode`` does, block after
    block, in a segment with deletions too (``live_postings`` filters after the read)."""
    from whoosh import fields, index

    from briefreader.search.index import whoosh_patches

    schema = fields.Schema(body=fields.TEXT())
    ix = index.create_in(_private_folder(), schema)
    with ix.writer() as writer:
        for n in range(3000):  # gaps from 1 to 300: several blocks, small and large numbers
            words = "ferry crossing" if n % 300 in (0, 7, 8) or n % 3 else "crossing"
            writer.add_document(body=f"{words} gone" if n % 5 == 0 else words)
    with ix.writer() as writer:
        writer.delete_by_term("body", "gone")
    with ix.searcher() as searcher:
        reader, _offset = searcher.reader().leaf_readers()[0]
        assert reader.has_deletions()
        for word in ("ferry", "crossing"):
            ours, theirs = reader.postings("body", word), reader.postings("body", word)
            blocks = 0
            while ours.is_active():
                whoosh_patches._leaf_read_ids(ours)
                whoosh_patches.WHOOSH_LEAF_READ_IDS(theirs)
                assert ours._ids == theirs._ids and isinstance(ours._ids, tuple)
                ours._next_block()
                theirs._next_block()
                blocks += 1
            assert blocks > 3 and not theirs.is_active()


@given(
    st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=130).map(sorted),
    st.lists(st.sampled_from([1.0, 2.0, 0.5, 3.0, float("nan")]), min_size=1, max_size=130),
    st.booleans(),
)
def test_a_blocks_ids_and_weights_are_minified_as_whoosh_minifies_them(
    ids: list[int], weights: list[float], byteids: bool
) -> None:
    """Gaps between document numbers (term ids as they are), weights as None, one weight or
    all of them: what Whoosh's own ``_mini_ids`` and ``_mini_weights`` return."""
    from array import array

    writer = whoosh3.W3PostingsWriter(io.BytesIO(), 128, byteids=byteids)
    writer._new_block()
    if byteids:
        writer._ids.extend(str(n).encode() for n in ids)
    else:
        writer._ids.extend(ids)
    writer._weights = array("f", weights)
    assert block_writer._mini_ids(writer) == whoosh3.W3PostingsWriter._mini_ids(writer)
    ours = block_writer._mini_weights(writer._weights)
    theirs = whoosh3.W3PostingsWriter._mini_weights(writer)
    assert repr(ours) == repr(theirs)  # the same type and values, NaN as NaN
