"""briefreader's benchmark suite: ``python -m benchmarks [--scale 1,4,16] [--quick]``.

Every cost a user feels (index build, incremental re-index, queries with snippets, related
passages, the reader's start, memory, the one-shot CLI) measured side by side with SQLite FTS5
and ripgrep on the same documents and queries. Each measurement is a small function that is
skipped with a printed reason when its feature is not there yet. See ``docs/performance.md``.
"""
