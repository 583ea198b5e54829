"""Every ``--json`` output carries ``"schema"`` and matches docs/json.md, field for field."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from briefreader.cli import main
from tests.conftest import REPO

DOC = REPO / "docs" / "json.md"
_SECTION = re.compile(r"^## `briefreader ([^`]+)`", re.M)
_ROW = re.compile(r"^\| `([^`]+)` \| ([^|]+) \|", re.M)
_TYPES = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}


def documented() -> dict[str, dict[str, str]]:
    """Command → field path → documented type, from docs/json.md."""
    text = DOC.read_text(encoding="utf-8")
    sections = {}
    matches = list(_SECTION.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        rows = _ROW.findall(text[match.end() : end])
        sections[match.group(1)] = {path: kind.strip() for path, kind in rows}
    return sections


def flatten(value: Any, path: str, found: dict[str, set[str]]) -> None:
    """Record the JSON type of every field path (``a[].b``) in ``value``."""
    found.setdefault(path, set()).add(_TYPES[type(value)])
    if isinstance(value, dict):
        for key, item in value.items():
            flatten(item, f"{path}.{key}" if path else key, found)
    elif isinstance(value, list):
        for item in value:
            flatten(item, f"{path}[]", found)


def _allowed(kind: str) -> set[str]:
    kinds = {"object" if part.startswith("object") else part for part in kind.split(" or ")}
    return kinds | ({"integer"} if "number" in kinds else set())


def check(document: dict[str, Any], spec: dict[str, str]) -> None:
    found: dict[str, set[str]] = {}
    flatten(document, "", found)
    found.pop("")
    open_paths = [path for path, kind in spec.items() if kind == "object (open)"]
    undocumented = [
        path
        for path in found
        if path not in spec and not any(path.startswith(f"{o}.") for o in open_paths)
    ]
    assert undocumented == [], f"fields missing from docs/json.md: {undocumented}"
    for path, kinds in found.items():
        if path in spec:
            assert kinds <= _allowed(spec[path]), f"{path}: {kinds} is not {spec[path]}"
    top_level = [path for path in spec if "." not in path and "[" not in path]
    assert sorted(p for p in found if "." not in p and "[" not in p) == sorted(top_level)
    assert document["schema"] == 1 and next(iter(document)) == "schema"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The JSON output of every documented command, on an indexed sample workspace."""
    from tests.conftest import make_workspace

    root = make_workspace(tmp_path_factory.mktemp("json"), sample=True)
    (root / "briefreader.toml").write_text('[entities]\nrecogniser = "rules"\n')
    workspace = ["-w", str(root)]

    def run(*argv: str) -> dict[str, Any]:
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main([*workspace, *argv, "--json"])
        assert code == 0, argv
        return dict(json.loads(out.getvalue()))

    found = {"articles": run("articles"), "search QUERY": run("search", "Kataib", "Hezbollah")}
    passage = found["search QUERY"]["hits"][0]["passage_id"]
    found["show ID"] = run("show", found["articles"]["articles"][0]["id"])
    found["related PASSAGE_ID"] = run("related", passage)
    found["search QUERY --facets"] = run("search", "Kataib", "Hezbollah", "--facets")
    found["timeline QUERY"] = run("timeline", "Iraq")
    found["entities"] = run("entities")
    found["notes add PASSAGE_ID --text …"] = run("notes", "add", passage, "--text", "a #tag")
    found["notes list"] = run("notes", "list")
    return found


def test_every_documented_command_is_checked(outputs: dict[str, Any]) -> None:
    assert {name.removesuffix(" --json") for name in documented()} == set(outputs)


@pytest.mark.parametrize(
    "command",
    [
        "articles --json",
        "search QUERY --json",
        "show ID --json",
        "related PASSAGE_ID --json",
        "search QUERY --facets --json",
        "timeline QUERY --json",
        "entities --json",
        "notes add PASSAGE_ID --text … --json",
        "notes list --json",
    ],
)
def test_json_output_matches_the_docs(command: str, outputs: dict[str, Any]) -> None:
    document = outputs[command.removesuffix(" --json")]
    spec = documented()[command]
    if command == "notes list --json":
        spec = {**spec, **_note_fields(documented())}
    check(document, spec)


def _note_fields(docs: dict[str, dict[str, str]]) -> dict[str, str]:
    """The fields of a note in a list: those of ``notes add --json`` under ``notes[]``."""
    fields = docs["notes add PASSAGE_ID --text … --json"]
    return {f"notes[].{path}": kind for path, kind in fields.items() if path != "schema"}
