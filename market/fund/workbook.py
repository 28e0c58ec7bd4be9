"""The monthly statement as an .xlsx workbook (openpyxl), for a committee's spreadsheet.

The same figures as the printable page (`exports.monthly_statement`): amounts are numbers in
yuan with two decimals (so SUM works), dates and times in Beijing time, words in the reader's
language, order references instead of internal ids. Text cells are written as text, never as
formulas."""

from __future__ import annotations

import io
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from market.fund import labels
from market.fund.exports import Statement

YUAN_FORMAT = "#,##0.00"


def _yuan(fen: int) -> Decimal:
    return Decimal(int(fen)).scaleb(-2)


def _text(value) -> str:
    """Cells beginning with = are formulas to a spreadsheet: keep text text."""
    value = "" if value is None else str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def statement_xlsx(home_name: str, s: Statement) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Statement")[:31]
    bold = Font(bold=True)

    def row(*values, strong=False, amounts=()):
        sheet.append(list(values))
        line = sheet.max_row
        for column in amounts:
            sheet.cell(line, column).number_format = YUAN_FORMAT
        if strong:
            for cell in sheet[line]:
                cell.font = bold

    row(_text(_("Care fund statement") + ": " + home_name), strong=True)
    row(_("Period"), f"{s.start.isoformat()} – {s.end.isoformat()}")
    row(_("Times are Beijing time; amounts in yuan."))
    row()
    row("", _("Available"), _("Pending"), strong=True)
    row(_("Opening balance"), _yuan(s.opening_available), _yuan(s.opening_pending), amounts=(2, 3))
    row(_("Closing balance"), _yuan(s.closing_available), _yuan(s.closing_pending), amounts=(2, 3))
    row()
    row(_("Income by source"), strong=True)
    for key, amount in sorted(s.income.items()):
        row(labels.source_name(key), _yuan(amount), amounts=(2,))
    row(_("Total income"), _yuan(s.income_total), strong=True, amounts=(2,))
    row()
    row(_("Spending by category"), strong=True)
    for category, amount in sorted(s.spending.items()):
        row(labels.category_name(category), _yuan(amount), amounts=(2,))
    row(_("Total spending"), _yuan(s.spending_total), strong=True, amounts=(2,))
    row()
    row(_("Entries"), strong=True)
    row(_("No."), _("Date and time (Beijing)"), _("What"), _("Category"), _("Order"),
        _("Care fund change (yuan)"), _("Leaf hash"), strong=True)
    for e in s.entries:
        row(e["seq"], e["local_time"], labels.entry_kind(e["kind"]),
            labels.entry_category(e["kind"], e["category"]), _text(e["order_reference"] or ""),
            _yuan(e["care_fund_change_fen"]), e["leaf_hash"], amounts=(6,))
    if s.head is not None:
        row()
        row(_("The public log at the end of the month"), strong=True)
        row(_("Tree size"), s.head.size)
        row(_("Root hash"), s.head.root)
    for column, width in zip("ABCDEFG", (28, 20, 18, 16, 16, 16, 66), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
