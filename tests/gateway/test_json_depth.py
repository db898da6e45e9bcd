"""The pre-parse nesting check agrees with the nesting of the parsed document, whatever the
strings hold (brackets, quotes, escapes), and refuses the pathological bodies at once."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from credit.gateway.middleware import json_too_deep

_text = st.text(alphabet=st.sampled_from('[]{}"\\ab/\u00e9\n'), max_size=12)
_leaf = st.one_of(st.none(), st.booleans(), st.integers(), _text)
_docs = st.recursive(
    _leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)),
    max_leaves=40,
)


def _depth(doc: Any) -> int:
    if isinstance(doc, list):
        return 1 + max((_depth(v) for v in doc), default=0)
    if isinstance(doc, dict):
        return 1 + max((_depth(v) for v in doc.values()), default=0)
    return 0


@given(_docs, st.integers(min_value=0, max_value=8))
def test_it_measures_the_nesting_of_the_parsed_document(doc: Any, limit: int) -> None:
    body = json.dumps(doc, ensure_ascii=False).encode()
    assert json_too_deep(body, limit) == (_depth(doc) > limit)


def test_brackets_inside_strings_do_not_count() -> None:
    body = json.dumps({"note": "[[[[{{{{" * 20, "path": '\\"]]]'}).encode()
    assert not json_too_deep(body, 2)
    assert json_too_deep(b"[" * 100_000 + b"]" * 100_000)
