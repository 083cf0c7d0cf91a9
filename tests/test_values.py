"""Reading one printed cell: numbers, signs, 万元 amounts, annotations, blanks."""

import dataclasses
from decimal import Decimal

import pytest

from nianbao.values import clean, join_lines, looks_like_value, parse_value


@pytest.mark.parametrize("text, kind, value, annotation", [
    ("0", "count", 0, None),
    ("１２", "count", 12, None),  # full-width digits
    (" 7　", "count", 7, None),
    ("＋1", "delta", 1, None),
    ("-2", "delta", -2, None),
    ("－3", "delta", -3, None),
    ("26.8万元", "amount_wan", Decimal("26.8"), None),
    ("5.0475", "amount_wan", Decimal("5.0475"), None),
    ("268000元", "amount_wan", Decimal("26.8"), None),
    ("984361元", "amount_wan", Decimal("98.4361"), None),
    ("13.840", "amount_wan", Decimal("13.84"), None),
    ("1,234", "count", 1234, None),
    ("22（其中修订16件）", "count", 22, "(其中修订16件)"),
    ("55(含自然失效29件)", "count", 55, "(含自然失效29件)"),
    ("2笔", "count", 2, "笔"),
    ("12人次", "count", 12, "人次"), ("7件次", "count", 7, "件次"),
    ("26.8万", "amount_wan", Decimal("26.8"), None),  # 万 in an amount column: 万元
    ("12*", "count", 12, "*"),  # a footnote marker
    ("65[1]", "count", 65, "[1]"),  # a superscript note, as the readers give it
    ("33426600", "amount_yuan", Decimal("3342.66"), None),  # under a heading in 元
    ("1.5万元", "amount_yuan", Decimal("1.5"), None),  # its own unit wins
    ("1 2", "count", 12, None),  # spaced out digit by digit
    ("317\n9", "count", 3179, None),  # wrapped in a narrow cell (a PDF's)
    ("3\u00a0236", "count", 3236, None), ("3\u2009217", "count", 3217, None),  # grouping spaces
    ("1,234.5", "amount_wan", Decimal("1234.5"), None),
    ("1,234,567", "amount_wan", Decimal("1234567"), None),
])
def test_numbers(text, kind, value, annotation):
    got = parse_value(text, kind)
    assert got.value == value and type(got.value) is type(value)
    assert got.annotation == annotation
    assert got.problem is None


def test_amounts_are_exact():
    assert str(parse_value("5.0475", "amount_wan").value) == "5.0475"
    assert str(parse_value("0.1元", "amount_wan").value) == "0.00001"


@pytest.mark.parametrize("text", ["", "  ", "\u3000"])
def test_blank_is_null_not_zero(text):
    got = parse_value(text, "count")
    assert got.value is None and got.problem is None


@pytest.mark.parametrize("text, problem", [
    ("—", "dash"), ("/", "dash"), ("无", "dash"),
    ("三", "not-a-number"), ("约10", "not-a-number"), ("1.5", "not-an-integer"),
    ("3万", "not-an-integer"),  # a count in 万: not 3, and not guessed as 30000
    ("118 / 121", "not-a-number"),  # two merged cells' numbers: neither, not 118121
    ("3 12", "not-a-number"), ("107 108", "not-a-number"),  # the same, a space apart (OCR)
])
def test_not_guessed(text, problem):
    got = parse_value(text, "count")
    assert got.value is None
    assert got.problem == problem


@pytest.mark.parametrize("text", ["125,755", "125，755", "1,024"])
def test_one_comma_in_an_amount_is_not_guessed(text):
    """In 万元, "125,755" is 125755 with a thousands separator or 125.755 with a comma for
    the point (OCR, a European hand): a thousand times apart, so it is not read. A count
    has no decimals: there it is 125755."""
    got = parse_value(text, "amount_wan")
    assert got.value is None and got.problem == "not-a-number"
    assert parse_value(text, "count").value == int(text.replace(",", "").replace("，", ""))


def test_negative_count_kept_for_the_rule_to_show():
    assert parse_value("-1", "count").value == -1


@pytest.mark.parametrize("text, cleaned", [
    ("1 2\t3\n", "123"),
    ("１２\u3000３", "123"),  # full-width digits, ideographic space
    ("\u00a012\u2003", "12"),  # no-break and em spaces
    ("－３", "-3"), ("＋3", "+3"),
    ("\u22123", "-3"),  # the minus sign: a review found the row of a delta so printed dropped
    ("\u00a8", "\u0308"),  # NFKC makes " ̈": the space it adds goes too
    ("\x1c5\x1f", "5"),  # what str.isspace calls whitespace, as re's \s does
    ("", ""),
])
def test_clean(text, cleaned):
    assert clean(text) == cleaned
    assert clean(text * 50) == cleaned * 50  # long cells, not cached, the same


def test_long_cells_are_not_kept_in_the_cache():
    before = clean.cache_info().currsize, looks_like_value.cache_info().currsize
    for n in range(100):
        assert looks_like_value(f"第{n}项 " * 10_000) is False
    assert (clean.cache_info().currsize,
            looks_like_value.cache_info().currsize) == before


def test_cached_results_cannot_be_changed():
    """Short cells' results are shared between reports, so they are frozen."""
    first = parse_value("12件", "count")
    assert parse_value("12件", "count") == first == parse_value.__wrapped__("12件", "count")
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.value = 13
    assert parse_value("12件", "count").value == 12


def test_separate_lines_that_are_numbers_are_separate_numbers():
    assert join_lines(["118", "121"]) == "118 / 121"
    assert looks_like_value("118 / 121")  # a value cell's text, so its row stays a row
    assert looks_like_value("O") and parse_value("O", "count").problem == "not-a-number"
    assert join_lines(["55", "（含自然失效29件）"]) == "55\n（含自然失效29件）"
    assert join_lines(["（三）不予", "公开"]) == "（三）不予\n公开"
    assert join_lines(["", "12", ""]) == "12"
