"""How much of an uploaded file we agree to read, so one upload cannot exhaust the server."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds checked before and while reading a contact file.

    ``max_uncompressed`` bounds the sum of a zip's members, both as declared in the zip's
    directory and as actually inflated (declared sizes can lie); ``max_ratio`` bounds each
    member's uncompressed/compressed ratio (a normal sheet compresses 5 to 20 times, a bomb
    a thousand). Columns are counted after trailing empty cells are dropped; cell lengths are
    counted in characters after stripping.
    """

    max_bytes: int = 200 * MIB
    max_uncompressed: int = 1024 * MIB
    max_ratio: int = 200
    max_columns: int = 64
    max_cell_chars: int = 2_000
