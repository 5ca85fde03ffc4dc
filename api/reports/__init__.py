"""Reports for the regulator: on-line rates per enterprise and per channel (from each
source's registration), alarm counts and handling times, ISA-18.2 KPIs, per day, week
or month; built from the stores (``gather``) by pure parts (``period``, ``online``,
``alarms``), rendered as JSON, CSV and XLSX (``sheets``)."""

from api.reports.gather import build_report
from api.reports.model import Report
from api.reports.period import PeriodKind, report_period
from api.reports.sheets import SECTIONS, Section, report_sheets

__all__ = [
    "SECTIONS",
    "PeriodKind",
    "Report",
    "Section",
    "build_report",
    "report_period",
    "report_sheets",
]
