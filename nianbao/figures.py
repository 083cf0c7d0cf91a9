"""Key figures (关键指标): the few numbers every page shows, defined once, here.

Definitions (the About page says the same in Chinese):

- 本年新收申请 (received) = 表三 “一、本年新收政府信息公开申请数量” 总计列
  (``apply.new.total``). Applications carried over from last year are *not* added: they are
  shown on their own as 上年结转 (``apply.carried_over.total``).
- 办理结果总计 (handled) = 表三 “（七）总计” 总计列 (``apply.total.total``), the denominator of
  every share below; the outcome rows (一)…(六) add up to it (rule ``apply-results-total``).
- 予以公开 / 部分公开 / 不予公开 / 无法提供 / 不予处理 / 其他处理: the total column of the
  outcome row, or the sum of its sub-rows (不予公开 has 8, 无法提供 3, 不予处理 5; 其他处理 is
  one row in the 2019 template and three sub-rows in the 2021 template).
  Each share = that count ÷ 办理结果总计, in per cent.
- 行政复议 = ``appeal.review.total``; 复议结果纠正 = ``appeal.review.corrected``.
- 行政诉讼 = 未经复议直接起诉 + 复议后起诉 (``appeal.suit_direct.total`` +
  ``appeal.suit_after_review.total``); 诉讼结果纠正 likewise from the ``corrected`` column.

A figure is only computed when every cell it sums was printed: one blank cell makes it
unknown (None), never a smaller number. A share is unknown when its count or the
denominator is unknown, or the denominator is 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from nianbao import catalogue as cat
from nianbao.model import Number, Report

WITHHELD = ("withheld_state_secret", "withheld_law", "withheld_three_safety",
            "withheld_third_party", "withheld_internal", "withheld_process",
            "withheld_enforcement", "withheld_query")
UNABLE = ("unable_not_held", "unable_create", "unable_unclear")
REJECTED = ("rejected_petition", "rejected_duplicate", "rejected_publication", "rejected_mass",
            "rejected_confirm")
OTHER = {"2019": ("other",), "2021": ("other_no_supplement", "other_no_fee", "other_misc")}


def _rows(rows, column: str = "total") -> tuple[str, ...]:
    return tuple(f"apply.{r}.{column}" for r in rows)


@dataclass(frozen=True)
class Figure:
    id: str
    label: str  # short Chinese label, as table headers show it
    description: str  # one sentence: which cells
    terms: dict[str, tuple[str, ...]]  # template id → field ids summed
    share: bool = False  # also shown as a share of `handled`
    group: str = "apply"  # apply | appeal
    notes: dict[str, str] = field(default_factory=dict)  # template id → how it differs

    def fields(self, template: str | None) -> tuple[str, ...]:
        return self.terms.get(template or "", ())


def _same(*fields: str) -> dict[str, tuple[str, ...]]:
    return {"2019": tuple(fields), "2021": tuple(fields)}


FIGURES: tuple[Figure, ...] = (
    Figure("received", "本年新收申请", "表三“一、本年新收政府信息公开申请数量”的总计列（不含上年结转）",
           _same("apply.new.total")),
    Figure("carried_over", "上年结转", "表三“二、上年结转政府信息公开申请数量”的总计列",
           _same("apply.carried_over.total")),
    Figure("handled", "办理结果总计", "表三“（七）总计”的总计列，各项占比的分母",
           _same("apply.total.total")),
    Figure("disclosed", "予以公开", "表三“（一）予以公开”的总计列", _same("apply.disclosed.total"),
           share=True),
    Figure("partial", "部分公开", "表三“（二）部分公开”的总计列", _same("apply.partial.total"),
           share=True),
    Figure("withheld", "不予公开", "表三“（三）不予公开”8 个子项总计列之和", _same(*_rows(WITHHELD)),
           share=True),
    Figure("unable", "无法提供", "表三“（四）无法提供”3 个子项总计列之和", _same(*_rows(UNABLE)),
           share=True),
    Figure("rejected", "不予处理", "表三“（五）不予处理”5 个子项总计列之和", _same(*_rows(REJECTED)),
           share=True),
    Figure("other", "其他处理", "表三“（六）其他处理”的总计列（2021 年模板为 3 个子项之和）",
           {t: _rows(rows) for t, rows in OTHER.items()}, share=True,
           notes={"2021": "2021 年模板把“（六）其他处理”拆成 3 个子项，此处为其和"}),
    Figure("carried_forward", "结转下年度", "表三“四、结转下年度继续办理”的总计列",
           _same("apply.carried_forward.total")),
    Figure("reviews", "行政复议", "表四“行政复议”总计", _same("appeal.review.total"),
           group="appeal"),
    Figure("reviews_corrected", "复议纠正", "表四“行政复议”结果纠正", _same("appeal.review.corrected"),
           group="appeal"),
    Figure("suits", "行政诉讼", "表四“未经复议直接起诉”与“复议后起诉”总计之和",
           _same("appeal.suit_direct.total", "appeal.suit_after_review.total"), group="appeal"),
    Figure("suits_corrected", "诉讼纠正", "表四两组行政诉讼的结果纠正之和",
           _same("appeal.suit_direct.corrected", "appeal.suit_after_review.corrected"),
           group="appeal"),
)
BY_ID = {f.id: f for f in FIGURES}
SHARE_BASE = "handled"


def value(report: Report, figure: Figure | str) -> Number | None:
    """The figure for one report, or None when any cell it sums is blank or unknown."""
    fig = BY_ID[figure] if isinstance(figure, str) else figure
    terms = fig.fields(report.template)
    if not terms:
        return None
    values = [report.values.get(f) for f in terms]
    if any(v is None for v in values):
        return None
    return sum(values)


def share(count: Number | None, base: Number | None) -> Decimal | None:
    """count ÷ base in per cent, one decimal; None when unknown or base is 0."""
    if count is None or base is None or base == 0:
        return None
    pct = Decimal(count) * 100 / Decimal(base)
    return pct.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class KeyFigures:
    """All figures of one report, with shares and the cells that could not be read."""

    values: dict[str, Number | None]
    shares: dict[str, Decimal | None]
    missing: dict[str, list[str]]  # figure id → blank field ids


def key_figures(report: Report) -> KeyFigures:
    values, shares, missing = {}, {}, {}
    for fig in FIGURES:
        values[fig.id] = value(report, fig)
        missing[fig.id] = [f for f in fig.fields(report.template) if report.values.get(f) is None]
    base = values[SHARE_BASE]
    for fig in FIGURES:
        if fig.share:
            shares[fig.id] = share(values[fig.id], base)
    return KeyFigures(values, shares, missing)


def share_text(kf: KeyFigures, figure_id: str) -> str:
    """A share as pages show it: "12.5%"; "—" when 办理结果总计 is 0; "" when unknown."""
    pct = kf.shares.get(figure_id)
    if pct is not None:
        return fmt(pct, percent=True)
    if kf.values.get(SHARE_BASE) == 0 and kf.values.get(figure_id) is not None:
        return "—"
    return ""


@dataclass
class Totals:
    """Figures summed over many reports, counting the reports that could not contribute."""

    reports: int
    received: int
    received_known: int  # reports whose 本年新收 is known
    disclosed_share: Decimal | None  # Σ予以公开 ÷ Σ办理结果总计, over reports where both are known
    share_reports: int


def totals(reports: list[Report]) -> Totals:
    received = [value(r, "received") for r in reports]
    pairs = [(value(r, "disclosed"), value(r, SHARE_BASE)) for r in reports]
    pairs = [(d, h) for d, h in pairs if d is not None and h is not None]
    disclosed = sum(d for d, _ in pairs)
    handled = sum(h for _, h in pairs)
    return Totals(
        reports=len(reports),
        received=int(sum(v for v in received if v is not None)),
        received_known=sum(v is not None for v in received),
        disclosed_share=share(disclosed, handled),
        share_reports=len(pairs),
    )


def template_fields(template: str) -> set[str]:
    return set(cat.load().template(template).field_ids)


def fmt(value: Number | None, *, percent: bool = False, signed: bool = False,
        group: bool = True) -> str:
    """A number as pages show it: exact, blank for unknown; thousands separated when large
    (unless group=False, as in the form tables, which print what the report printed)."""
    if value is None:
        return ""
    if percent:
        return f"{value}%"
    if isinstance(value, Decimal) and value != value.to_integral_value():
        text = format(value, "f")
    else:
        text = f"{int(value):,}" if group and abs(value) >= 10000 else str(int(value))
    if signed and value > 0:
        text = "+" + text
    return text
