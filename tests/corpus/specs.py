"""The corpus's base reports, in build order. Each spec function returns a
Report: its prose, its tables (built from typed rows) and the gold facts the
tables do not carry. See docs/tables.md for what each one covers."""

from __future__ import annotations

from collections.abc import Callable

from .model import Report
from .specs_department import anping_justice, dongling_civil, nanxi_cppcc, qinghe_edu
from .specs_department2 import pingyang_disabled, qinghe_school, xishan_veterans, yuntai_health
from .specs_project import (
    baisha_clinic,
    beiyuan_agri,
    hualin_water,
    liuxi_medical,
    songling_township,
)

SPECS: list[Callable[[], Report]] = [
    qinghe_edu,
    dongling_civil,
    anping_justice,
    nanxi_cppcc,
    yuntai_health,
    qinghe_school,
    xishan_veterans,
    pingyang_disabled,
    baisha_clinic,
    liuxi_medical,
    hualin_water,
    songling_township,
    beiyuan_agri,
]


def reports() -> list[Report]:
    return [spec() for spec in SPECS]
