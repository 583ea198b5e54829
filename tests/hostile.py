"""A hostile corpus, made by the tests (never downloaded): markup, escapes, binary, huge files,
odd names, links out of the workspace and in loops, scripts, right-to-left text."""

from __future__ import annotations

import os
from pathlib import Path

PARAGRAPH = (
    "Officials said the talks would resume next week after both sides agreed on the "
    "agenda, the schedule and the venue for the meeting."
)
MARKUP = (
    "[bold]not bold[/bold] [/] [link=file:///etc/passwd]passwd[/link] "
    "[@click=app.quit]quit[/] [i]italic?[/i] [red on blue]colour[/]"
)
ESCAPES = (
    "\x1b[2J\x1b[H clear screen, \x1b]0;pwned title\x07 set title, "
    "\x1b]52;c;ZXZpbA==\x07 clipboard, \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ ok"
)
RTL = "قال المسؤولون إن المحادثات ستستأنف الأسبوع المقبل بعد أن اتفق الطرفان على جدول الأعمال."
HUGE_BYTES = 50 * 1024 * 1024


def build_hostile_corpus(root: Path, huge: bool = True) -> Path:
    """Fill ``root/articles`` with hostile files and return ``root``; ``root/outside`` is a
    folder outside the workspace that a symlink points into."""
    articles = root / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    (root / "index").mkdir(exist_ok=True)
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.txt").write_text(f"Secret document\n\n{PARAGRAPH} secretword")

    def write(name, text):
        return (articles / name).write_text(text, encoding="utf-8")

    write("markup.txt", f"Markup [b]title[/b] here\n\n{MARKUP} {PARAGRAPH}\n\n{PARAGRAPH} [")
    write("escapes.txt", f"Escape \x1b[31mred\x1b[0m title\n\n{ESCAPES} {PARAGRAPH}")
    write("rtl.txt", f"عنوان المقال\n\n{RTL}\n\n{PARAGRAPH} {RTL}")
    write(
        "script.html",
        "<html><head><title>Scripted page</title></head><body>"
        "<script>document.write('evil')</script><form action='/x'><input name='q'>"
        f"<button>Go</button></form><article><h1>Scripted page</h1><p>{PARAGRAPH}</p>"
        f"<p>{PARAGRAPH} Second.</p></article><style>body{{}}</style></body></html>",
    )
    write("front-only.md", "---\ntitle: Nothing but front matter\ndate: 2024-01-01\n---\n")
    write("name with spaces.txt", f"Spaces in the name\n\n{PARAGRAPH} spacedword")
    write("new\nline.txt", f"Newline in the name\n\n{PARAGRAPH} newlineword")
    (articles / os.fsdecode(b"latin-\xe9t\xe9.txt")).write_text(f"Latin name\n\n{PARAGRAPH}")
    (articles / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (articles / "one-line.txt").write_text("Long line " + "word " * (1024 * 1024))
    if huge:
        with open(articles / "huge.txt", "wb") as handle:
            line = (PARAGRAPH + "\n\n").encode()
            handle.write(b"Huge file\n\n" + line * (HUGE_BYTES // len(line) + 1))
    os.symlink(outside / "secret.txt", articles / "link-out.txt")
    os.symlink(outside, articles / "linked-dir")
    os.symlink("self.txt", articles / "self.txt")  # links that lead back to themselves
    os.symlink("loop-b.txt", articles / "loop-a.txt")
    os.symlink("loop-a.txt", articles / "loop-b.txt")
    os.symlink("..", articles / "up")  # a folder that contains itself
    os.mkfifo(articles / "pipe.txt")
    return root
