"""Cells of every spreadsheet file the site writes never start a formula.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
spreadsheet apps (`=HYPERLINK(...)` in a name sends whoever opens the file elsewhere). Such text
gets a leading apostrophe, which the apps show as text; numbers stay numbers. One function for the
activity report's CSVs, the registrations CSV and the admin's import-export formats; the import
takes the apostrophe off again (`restore`), so a file exported and imported back is unchanged.

django-import-export's own `IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT` is not used: it only drops a
leading "=" (changing the text, and leaving `+ - @`, tab and CR live) and turns numbers into text.
"""

import csv

from django.utils.functional import Promise

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    """Text a spreadsheet would run as a formula gets a leading apostrophe; anything else as is."""
    if isinstance(cell, Promise):
        cell = str(cell)
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def restore(cell):
    """The text `neutralise` was given, from a cell of a file the site wrote."""
    if isinstance(cell, str) and cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


class _NeutralisingWriter:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(out, **kwargs) -> _NeutralisingWriter:
    """`csv.writer(out, **kwargs)` whose every cell goes through `neutralise`."""
    return _NeutralisingWriter(csv.writer(out, **kwargs))
