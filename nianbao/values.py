"""Reading one printed cell as a number of the column's type.

A blank cell is None, never 0. Text the cell carries beside its number
("22（其中修订16件）", "2笔") is kept as an annotation. Nothing is guessed: a cell that
is not a number of the expected kind is None with a reason. A negative count is kept as
printed, so the non-negative rule can show it rather than the parser hiding it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from nianbao.model import Number

# What a cell may print after its number (longest first, so 万元 is not read as 万).
UNITS = ("万元", "万", "元", "件次", "人次", "件", "条", "笔", "个", "项", "次", "宗", "人")
# ... and counters that are units only as a cell's last word (起 of 起诉, 单 of 单位 in text
# whose cells ran together): 932起 (penalty cases), 13批次, 50份.
CELL_UNITS = ("批次", "起", "批", "家", "种", "份", "篇", "例", "单", "户")
_NUMBER = re.compile(  # ASCII digits only (after NFKC): "١٩" is not read as 19
    r"^(?P<sign>[+\-])?(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
    rf"(?P<unit>{'|'.join(UNITS + CELL_UNITS)})?(?P<note>[(\[].*[)\]]|[*※]+)?$"
)
# A number with words no value cell carries: "(75)" (in brackets, or an accountant's
# negative), "约13", "13余", "近20个": in a value's place it is a value that cannot be read,
# never a label (as a label it took the row's other values one column to the left).
_HEDGED = re.compile(r"[(（]\s*[+\-]?[0-9][0-9,.]*\s*[)）]|(?:约|近|逾|超过|不足|不到)\s*[0-9][0-9,.]*\D{0,3}|"
                     r"[0-9][0-9,.]*\s*(?:余|多)\D{0,3}")
# Numbers we do not read but that sit in value columns: Chinese numerals, other scripts' digits.
_NUMERALS = re.compile(r"^[+\-]?[〇零一二三四五六七八九十百千万两]+(?:[.点][〇零一二三四五六七八九]+)?"
                       r"(?:万元|元|件|条|笔|个|项|次|宗)?(?:[(\[].*[)\]])?$")
# Several numbers in one cell ("118 / 121": two cells merged, both texts kept): a value
# cell's text, but no one value.
_SEVERAL = re.compile(r"^[0-9][0-9,.]*(?:/[0-9][0-9,.]*)+$")
_MAX_DIGITS = 24  # longer is not a count or an amount (and int() refuses 4300 digits)
_DASHES = {"-", "--", "—", "——", "/", "\\", "无", "空", "—-", "-—", "×", "x"}
_TEN_THOUSAND = Decimal(10000)
_NOTE_START = re.compile(r"[(\[（【]")
_NUMBER_CHAR = re.compile(r"[0-9+\-.,]")


@dataclass(frozen=True)  # shared: parse_value's results are cached
class CellValue:
    value: Number | None
    annotation: str | None = None
    problem: str | None = None  # a reason code when the cell is not blank but has no value
    detail: str = ""


_SHORT = 40


def cached_when_short(fn):
    """fn(text, ...), its results cached for texts of at most _SHORT characters: a report's
    ~500 cells are mostly the same few ("0", "1", "—"). Longer ones are not cached, so a
    hostile corpus cannot fill memory with them. (Results are shared: keep them immutable.)"""
    cached = functools.lru_cache(maxsize=8192)(fn)

    @functools.wraps(fn)
    def call(text: str, *args):
        return cached(text, *args) if len(text) <= _SHORT else fn(text, *args)

    call.cache_info = cached.cache_info
    return call


@cached_when_short
def clean(text: str) -> str:
    """The cell without whitespace (str.split's is re's \\s), full-width forms made ASCII."""
    if text.isascii():  # NFKC keeps ASCII as it is
        return "".join(text.split())
    return ("".join(unicodedata.normalize("NFKC", text).split())
            .replace("－", "-").replace("−", "-").replace("＋", "+"))  # − : the minus sign


@cached_when_short  # asked of every label cell, as _misread_number is
def hedged_number(text: str) -> bool:
    return bool(_HEDGED.fullmatch(clean(text)))


_LINE_NUMBER = re.compile(r"\s*[0-9０-９][0-9０-９,，.．\s]*")


def join_lines(lines: list[str]) -> str:
    """A cell's paragraphs (Word) or lines (<br>, <p>) as one text. Paragraphs that are each
    a number are separate numbers (two cells merged keep both), "118 / 121", not 118121."""
    lines = [x for x in lines if x.strip()]
    if len(lines) > 1 and all(_LINE_NUMBER.fullmatch(x) for x in lines):
        return " / ".join(x.strip() for x in lines)
    return "\n".join(lines)


@cached_when_short
def looks_like_value(text: str) -> bool:
    """True for cells that belong in a value column (numbers, dashes), not label columns."""
    t = clean(text)
    return bool(t) and (t in _DASHES or bool(_NUMBER.match(_change(t))) or bool(_NUMERALS.match(t))
                        or t.isdecimal() or bool(_SEVERAL.match(t))
                        or t in ("O", "o"))  # the letter typed for 0: unread, but a value's cell


def _odd(text: str) -> bool:
    """A character NFKC turns into a digit, sign or point though not printed as one: ①, ², ﹣.

    NFKC is for full-width forms (１２, －３); "5①" must not become 51. Notes are not looked at.
    """
    if text.isascii():  # the common case: nothing NFKC would change
        return False
    number = _NOTE_START.split(text, maxsplit=1)[0]
    return any(_NUMBER_CHAR.search(unicodedata.normalize("NFKC", ch)) for ch in set(number)
               if not ch.isascii() and not "\uff01" <= ch <= "\uff5e")


def _shown(text: str) -> str:
    """The cell as a problem message quotes it: a huge cell is cut, not copied whole."""
    text = text.strip()
    return text if len(text) <= 60 else text[:60] + "…"


# A change said in words (本年增/减): 增3, 增加3, 减3, 减少3, 持平. Only a delta column reads
# them; elsewhere they are no number.
_CHANGE_WORD = re.compile(r"^(增加|增|减少|减)(?=[0-9])")
_SIGNS = {"增加": "+", "增": "+", "减少": "-", "减": "-"}


def _change(t: str) -> str:
    return "0" if t == "持平" else _CHANGE_WORD.sub(lambda m: _SIGNS[m.group(1)], t)


@cached_when_short
def parse_value(text: str, kind: str) -> CellValue:
    """The cell read as a number of kind (count, amount_wan; amount_yuan: an amount_wan
    column whose heading says 元, so a bare number there is yuan; delta: a change, signed)."""
    t = clean(text)
    if not t:
        return CellValue(None)
    if t in _DASHES:
        return CellValue(None, problem="dash", detail=text.strip())
    if kind == "delta":
        t = _change(t)
    m = _NUMBER.match(t)
    if not m or _odd(text) or len(m["num"]) > _MAX_DIGITS or _spaced_apart(text):
        return CellValue(None, problem="not-a-number", detail=_shown(text))
    amount_kind = kind in ("amount_wan", "amount_yuan")
    if amount_kind and m["num"].count(",") == 1 and "." not in m["num"]:
        # "125,755" in 万元: a thousands separator, or a decimal point (OCR, a European
        # hand) in 125.755: a thousand times apart, so neither is taken
        return CellValue(None, problem="not-a-number", detail=_shown(text))
    sign, num, unit, note = m["sign"], m["num"].replace(",", ""), m["unit"], m["note"]
    annotation = (unit or "") + (note or "") or None
    if amount_kind:
        try:
            amount = Decimal(num)
        except InvalidOperation:  # pragma: no cover - the regex admits only digits
            return CellValue(None, problem="not-a-number", detail=text.strip())
        if unit == "元" or (unit is None and kind == "amount_yuan"):
            amount = amount / _TEN_THOUSAND
        if sign == "-":  # kept as printed: the non-negative rule reports it
            amount = -amount
        if unit in ("万元", "万", "元"):
            annotation = note or None
        return CellValue(_normal(amount), annotation)
    if "." in num or unit == "万":  # "3万" of a count: not read as 3 (nor guessed as 30000)
        return CellValue(None, annotation, problem="not-an-integer", detail=_shown(text))
    value = int(num)
    return CellValue(-value if sign == "-" else value, annotation)


# Digits a space apart on one line. Not: a number wrapped in its cell, on two lines ("317\n9",
# 3179); a typographic grouping space, no-break or thin ("3\u00a0236", "3\u2009217").
_DIGITS_APART = re.compile(r"[0-9０-９][0-9０-９,，.．]*(?:[ \t\u3000]+[0-9０-９][0-9０-９,，.．]*)+")


def _spaced_apart(text: str) -> bool:
    """Digits with spaces between them that are not one number spaced out digit by digit
    ("1 2"): "3 12" or "107 108" is two numbers in one cell (an OCR tool merged two cells),
    never 312 or 107108. ("1 024" is refused too: it reads either way.)"""
    m = _DIGITS_APART.search(text)
    return m is not None and not all(len(group) == 1 for group in m.group().split())


def _normal(amount: Decimal) -> Decimal:
    """Exact decimal without trailing zeros or exponent: 5.0475, 26.8, 13.84, 0."""
    amount = amount.normalize()
    if amount == amount.to_integral():
        return amount.quantize(Decimal(1))
    return amount
