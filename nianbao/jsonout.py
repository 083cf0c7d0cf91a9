"""The stable JSON shape of one extracted report (`build.py extract`)."""

from __future__ import annotations

import json
from decimal import Decimal

from nianbao.model import Report


def report_json(report: Report) -> dict:
    return {
        "source": report.source.rel,
        "agency": report.agency,
        "agency_id": report.agency_id,
        "region": report.region.as_dict(),
        "year": report.year,
        "template": report.template,
        "values": report.values,
        "extra_rows": [e.as_dict() for e in report.extra_rows],
        "problems": [p.as_dict() for p in report.problems],
    }


def _default(obj):
    if isinstance(obj, Decimal):
        return int(obj) if obj == obj.to_integral() and "." not in str(obj) else float(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps(data, **kw) -> str:
    return json.dumps(data, ensure_ascii=False, default=_default, **kw)
