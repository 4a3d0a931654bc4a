"""The activity report (staff only): the page and a CSV per table, for one period."""

import io
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from hubsite.access import staff_rights_required
from hubsite.spreadsheets import csv_writer

from . import charts, queries
from .forms import ReportPeriodForm, recent_quarters
from .period import quarter_of


def _chart_description(table: queries.Table) -> str:
    return _("%(value)s for each %(label)s. The same figures are in the table.") % {
        "value": table.columns[table.chart_column] if table.chart_column is not None else "",
        "label": table.columns[0].lower(),
    }


@staff_rights_required
def report(request):
    # Nothing chosen: the current quarter, shown in the picker as if chosen.
    form = ReportPeriodForm(request.GET or {"quarter": quarter_of(timezone.localdate())})
    if not form.is_valid():
        context = {"form": form, "sections": [], "quarters": recent_quarters()}
        return render(request, "reports/report.html", context, status=400)
    period = form.period()
    tables = {slug: build(period) for slug, build in queries.TABLES.items()}
    query = urlencode(period.params)
    blocks = {
        slug: {
            "table": table,
            "chart": charts.bar_chart(table, _chart_description(table)) if table.chart_column else None,
            "csv_url": f"{reverse('reports:csv', args=[slug])}?{query}",
        }
        for slug, table in tables.items()
    }
    sections = [
        (_("Seminars"), [blocks["seminars-by-kind"], blocks["seminars-by-series"]]),
        (_("Registrations and attendance"), [blocks["attendance"]]),
        (_("Talks by visitors"), [blocks["visitor-talks"]]),
        (_("Stays and visitor-days"), [blocks["stays-by-country"], blocks["stays-by-institution"]]),
        (_("Desk occupancy"), [blocks["desk-occupancy"]]),
        (_("Partners and agreements"), [blocks["partners"], blocks["agreements-ending"]]),
        (_("Projects and outputs"), [blocks["projects-by-theme"], blocks["outputs-by-kind"]]),
    ]
    context = {"form": form, "period": period, "sections": sections, "quarters": recent_quarters()}
    return render(request, "reports/report.html", context)


@staff_rights_required
def report_csv(request, table: str):
    build = queries.TABLES.get(table)
    if build is None:
        raise Http404(_("There is no report table called “%(name)s”.") % {"name": table})
    form = ReportPeriodForm(request.GET)
    if not form.is_valid():
        problems = [str(message) for errors in form.errors.values() for message in errors]
        return HttpResponse("\n".join(problems) + "\n", status=400, content_type="text/plain; charset=utf-8")
    period = form.period()
    result = build(period)
    out = io.StringIO()
    # The byte-order mark tells spreadsheet apps (Excel above all) that the file is UTF-8.
    out.write("\ufeff")
    # Cells that would start a formula are neutralised (hubsite/spreadsheets.py).
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(result.columns)
    writer.writerows(result.all_rows)
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    filename = f"hub-report-{table}-{period.first_day.isoformat()}-{period.last_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
