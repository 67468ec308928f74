"""Characters outside GSM 03.38 and the GSM-7 text that stands in for them, as data.

Used by the ``replace`` policy of ``segments.encode``: a customer who chose it would rather
send ``l'offre de Noel`` than pay for UCS-2 (70 characters a segment instead of 160) because
a word processor curled the apostrophe and the name has a diaeresis. Every key is outside
the GSM-7 alphabet and every value uses only the *basic* table (no escape), so a
replacement never costs more than its own length; ``tests/unit/platform/test_segments.py``
checks both.

Accented letters become their base letter, even where GSM-7 has another accent on it
(``í`` gives ``i``, not ``ì``). ``ç`` gives ``c``, not the GSM ``Ç`` some SMSCs use: the
spec's 0x09 is the capital, and today's handsets show it as one, so ``reÇu`` would read
worse than ``recu``. Scripts with no look-alike (Arabic, Cyrillic, CJK, emoji) are
deliberately absent: they are sent as UCS-2 as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Accented and special Latin letters (Latin-1 Supplement, Latin Extended-A, and the
# Romanian comma-below letters), grouped by what replaces them. Letters GSM-7 already
# has (à ä å Ä Å Ç è é É ì ñ Ñ ò ö ø Ö Ø ù ü Ü ß æ Æ) are not here.
_LETTERS: tuple[tuple[str, str], ...] = (
    ("ÀÁÂÃĀĂĄ", "A"),
    ("áâãāăą", "a"),
    ("ĆĈĊČ", "C"),
    ("çćĉċč", "c"),
    ("ÐĎĐ", "D"),
    ("ðďđ", "d"),
    ("ÈÊËĒĔĖĘĚ", "E"),
    ("êëēĕėęě", "e"),
    ("ĜĞĠĢ", "G"),
    ("ĝğġģ", "g"),
    ("ĤĦ", "H"),
    ("ĥħ", "h"),
    ("ÌÍÎÏĨĪĬĮİ", "I"),
    ("íîïĩīĭįı", "i"),
    ("Ĵ", "J"),
    ("ĵ", "j"),
    ("Ķ", "K"),
    ("ķ", "k"),
    ("ĹĻĽĿŁ", "L"),
    ("ĺļľŀł", "l"),
    ("ŃŅŇ", "N"),
    ("ńņň", "n"),
    ("ÒÓÔÕŌŎŐ", "O"),
    ("óôõōŏő", "o"),
    ("ŔŖŘ", "R"),
    ("ŕŗř", "r"),
    ("ŚŜŞŠȘ", "S"),
    ("śŝşšșſ", "s"),
    ("ŢŤŦȚ", "T"),
    ("ţťŧț", "t"),
    ("ÙÚÛŨŪŬŮŰŲ", "U"),
    ("úûũūŭůűų", "u"),
    ("Ŵ", "W"),
    ("ŵ", "w"),
    ("ÝŶŸ", "Y"),
    ("ýÿŷ", "y"),
    ("ŹŻŽ", "Z"),
    ("źżž", "z"),
    # Ligatures are written out: French "cœur", "Œuvre".
    ("Œ", "OE"),
    ("œ", "oe"),
    ("Ĳ", "IJ"),
    ("ĳ", "ij"),
    ("\ufb01", "fi"),
    ("\ufb02", "fl"),
    # Greek capitals drawn like Latin ones (Alpha Beta Epsilon Zeta Eta Iota Kappa Mu Nu
    # Omicron Rho Tau Upsilon Chi), escaped because in source they would pass for Latin. With
    # the ten Greek capitals GSM-7 has, an upper-case Greek text stays GSM-7, as Greek
    # operators send it.
    *zip(
        "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7",
        "ABEZHIKMNOPTYX",
        strict=True,
    ),
)

# Punctuation and spacing that word processors and phones put in place of the ASCII forms.
_PUNCTUATION: tuple[tuple[str, str], ...] = (
    ("\u2018\u2019\u201a\u201b\u2032\u2039\u203a\u00b4\u02bc`", "'"),
    ("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    ("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    ("\u2044\u2215", "/"),
    ("\u2026", "..."),
    # Tab, no-break spaces (French puts a narrow one before ; : ! ?) and the sized spaces.
    ("\t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f"
     "\u205f\u3000", " "),
    ("\u2028\u2029", "\n"),
    # Invisible: soft hyphen, zero-width space and joiners, word joiner, byte-order mark. In a
    # script that needs the joiners the message is UCS-2 anyway, and then nothing is replaced.
    ("\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),
)

LOOKALIKES: Mapping[str, str] = MappingProxyType({
    char: replacement
    for chars, replacement in _LETTERS + _PUNCTUATION
    for char in chars
})
