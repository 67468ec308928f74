"""Mobile operators: who a block of numbers was allocated to, and the network to route by.

phonenumbers' carrier data maps E.164 prefixes to the English name of the operator each block
of mobile numbers was allocated to. ``data/operators.json`` maps those names, per calling code
and spelt exactly as phonenumbers spells them, to a stable key (price lists and routes use
it), a display name and the network's MCC/MNC. A name the file does not map keeps
phonenumbers' spelling and empty key and codes; a number in no allocated block has
:data:`UNKNOWN`.

This is the numbering plan's *original* allocation. Numbers are portable (in France since
2003), so the routing layer may correct the operator from an HLR lookup or a delivery receipt.

The tables are built once, on first use, from the ~30,000 prefixes of the carrier data: per
calling code, the prefix lengths present (longest first) and a dict from prefix to operator,
so a lookup is a handful of dict hits.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, NamedTuple

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

# Longest first, like phonenumbers' own lookup; never more than 3 digits (ITU E.164).
_CALLING_CODE_LENGTHS = (3, 2, 1)


@dataclass(frozen=True, slots=True)
class Operator:
    """An operator: ``key`` is ours ("orange-fr"), "" for a name we have not mapped."""

    key: str
    name: str
    mcc: str
    mnc: str


UNKNOWN = Operator(key="", name="unknown operator", mcc="", mnc="")


class _Blocks(NamedTuple):
    lengths: tuple[int, ...]  # prefix lengths present in this calling code, longest first
    operators: dict[str, Operator]  # E.164 prefix (digits, calling code included) -> operator


def original_operator(calling_code: str, digits: str) -> tuple[Operator, str]:
    """The operator the block holding ``digits`` was allocated to, and that block's prefix.

    ``digits`` is the E.164 number without its "+", starting with ``calling_code``. Outside
    every allocated block the answer is ``(UNKNOWN, "")``. The caller decides whether the
    number is one the carrier data covers: phonenumbers only looks mobile and pager numbers
    up, and so do we.
    """
    blocks = _blocks().get(calling_code)
    if blocks is not None:
        operators = blocks.operators
        for length in blocks.lengths:
            prefix = digits[:length]
            operator = operators.get(prefix)
            if operator is not None:
                return operator, prefix
    return UNKNOWN, ""


def operators_by_prefix(digits: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """What someone typing a number prefix (the seeds' "préfixe opérateur": E.164 digits,
    calling code first, e.g. "21620") is asking about: the regions of its calling code, and
    the keys of the mapped operators with a block that holds the prefix or lies under it.
    Unknown calling codes give nothing."""
    code = next((digits[:n] for n in _CALLING_CODE_LENGTHS
                 if digits[:n] and int(digits[:n]) in COUNTRY_CODE_TO_REGION_CODE), None)
    if code is None:
        return (), frozenset()
    regions = tuple(COUNTRY_CODE_TO_REGION_CODE[int(code)])
    blocks = _blocks().get(code)
    if blocks is None:
        return regions, frozenset()
    keys = {
        operator.key for prefix, operator in blocks.operators.items()
        if operator.key and (prefix.startswith(digits) or digits.startswith(prefix))
    }
    return regions, frozenset(keys)


def mapped_operators() -> dict[str, tuple[Operator, ...]]:
    """Every operator ``operators.json`` maps, by calling code: what price lists may name."""
    return {code: tuple(dict.fromkeys(names.values())) for code, names in _mapping().items()}


@cache
def _mapping() -> dict[str, dict[str, Operator]]:
    """``operators.json``: calling code -> phonenumbers' name -> operator."""
    text = files("portevoix.platform").joinpath("data/operators.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return {
        code: {
            name: Operator(entry["key"], entry["name"], entry["mcc"], entry["mnc"])
            for name, entry in names.items()
        }
        for code, names in document["operators"].items()
    }


_BLOCKS: dict[str, _Blocks] = {}
_BLOCKS_LOCK = threading.Lock()


def _blocks() -> dict[str, _Blocks]:
    """The carrier blocks by calling code, built once (the threads of a web worker asking
    at once would each build them: seconds of CPU at a worker's start)."""
    if not _BLOCKS:
        with _BLOCKS_LOCK:
            if not _BLOCKS:
                _BLOCKS.update(_built_blocks())
    return _BLOCKS


def _built_blocks() -> dict[str, _Blocks]:
    from phonenumbers.carrierdata import CARRIER_DATA  # ~30,000 prefixes: loaded on first use

    codes = {str(code) for code in COUNTRY_CODE_TO_REGION_CODE}
    mapping = _mapping()
    unmapped: dict[tuple[str, str], Operator] = {}
    by_code: dict[str, dict[str, Operator]] = {}
    for prefix, names in CARRIER_DATA.items():
        # phonenumbers asks for English and, when a prefix has no English name, goes on to
        # shorter prefixes: a prefix without one must not stop our search either.
        name = names.get("en")
        code = next((prefix[:n] for n in _CALLING_CODE_LENGTHS if prefix[:n] in codes), None)
        if name is None or code is None:
            continue
        operator = mapping.get(code, {}).get(name)
        if operator is None:
            if (code, name) not in unmapped:
                unmapped[code, name] = Operator("", name, "", "") if name else UNKNOWN
            operator = unmapped[code, name]
        by_code.setdefault(code, {})[prefix] = operator
    return {
        code: _Blocks(tuple(sorted({len(p) for p in operators}, reverse=True)), operators)
        for code, operators in by_code.items()
    }
