"""Named entities: recognise (spaCy NER or rules), clean up, make consistent, resolve.

Indexing calls ``extract_entities`` (batched, cached by content) and stores ``index_fields`` /
``to_payload``; readers call ``resolve_entities`` on stored mentions with the workspace's
``entities.toml`` corrections. Only ``extract_entities`` may load a model.
"""

from briefreader.text.entities.corrections import (
    CORRECTIONS_FILE,
    CorrectionError,
    Corrections,
    load_corrections,
    save_corrections,
)
from briefreader.text.entities.extract import Extraction, extract_entities, postprocess
from briefreader.text.entities.keys import name_key
from briefreader.text.entities.model import (
    ENTITY_TYPES,
    Entity,
    EntityForm,
    EntityMention,
    mention_forms,
)
from briefreader.text.entities.recogniser import Choice, choose_recogniser, ensure_loaded
from briefreader.text.entities.resolve import (
    KEPT_APART,
    EntityTable,
    resolve_entities,
    resolve_forms,
)
from briefreader.text.entities.store import (
    cached_enrichment_for,
    enrichment_for,
    form_terms,
    from_payload,
    index_fields,
    passage_index_fields,
    payload_recogniser,
    to_payload,
)

CACHE_FILE = "entities-cache.db"

__all__ = [
    "CACHE_FILE",
    "CORRECTIONS_FILE",
    "ENTITY_TYPES",
    "KEPT_APART",
    "Choice",
    "CorrectionError",
    "Corrections",
    "Entity",
    "EntityForm",
    "EntityMention",
    "EntityTable",
    "Extraction",
    "cached_enrichment_for",
    "choose_recogniser",
    "enrichment_for",
    "ensure_loaded",
    "extract_entities",
    "form_terms",
    "from_payload",
    "index_fields",
    "load_corrections",
    "mention_forms",
    "name_key",
    "passage_index_fields",
    "payload_recogniser",
    "postprocess",
    "resolve_entities",
    "resolve_forms",
    "save_corrections",
    "to_payload",
]
