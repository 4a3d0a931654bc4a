"""Geometry for the server-rendered SVG charts of the occupancy page (no JavaScript)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count

from hubsite import dates

from .models import DeskAllocation, Visit, Workspace

DAY_WIDTH = 8
CHART_HEIGHT = 160
MARGIN_LEFT = 36
MARGIN_TOP = 10
MARGIN_BOTTOM = 28


@dataclass
class DayBar:
    day: dt.date
    used: int
    capacity: int
    x: int
    y: float
    height: float
    over: bool

    @property
    def free(self) -> int:
        return max(self.capacity - self.used, 0)


@dataclass
class OccupancyChart:
    bars: list[DayBar]
    capacity: int
    width: int
    height: int
    capacity_y: float
    plot_bottom: int
    ticks: list[tuple[int, str]]
    y_ticks: list[tuple[float, int]]


def occupancy_chart(*, start: dt.date, days: int = 90) -> OccupancyChart:
    """Desks used per day (every workspace) against the desks visitors may use (two queries)."""
    end = start + dt.timedelta(days=days - 1)
    capacity = sum(w.desks for w in Workspace.objects.for_visitors())
    used = dict(
        DeskAllocation.objects.filter(day__range=(start, end)).values_list("day").annotate(n=Count("pk"))
    )
    top = max([capacity, *used.values(), 1])
    scale = CHART_HEIGHT / top
    plot_bottom = MARGIN_TOP + CHART_HEIGHT
    bars = []
    for n in range(days):
        day = start + dt.timedelta(days=n)
        count = used.get(day, 0)
        height = round(count * scale, 1)
        bars.append(
            DayBar(
                day=day,
                used=count,
                capacity=capacity,
                x=MARGIN_LEFT + n * DAY_WIDTH,
                y=round(plot_bottom - height, 1),
                height=height,
                over=count >= capacity,
            )
        )
    ticks = [(b.x, dates.fmt(b.day, "month_day")) for b in bars if b.day.day == 1 or b.day == start]
    step = max(top // 4, 1)
    y_ticks = [(round(plot_bottom - v * scale, 1), v) for v in range(0, top + 1, step)]
    return OccupancyChart(
        bars=bars,
        capacity=capacity,
        width=MARGIN_LEFT + days * DAY_WIDTH + 10,
        height=plot_bottom + MARGIN_BOTTOM,
        capacity_y=round(plot_bottom - capacity * scale, 1),
        plot_bottom=plot_bottom,
        ticks=ticks,
        y_ticks=y_ticks,
    )


@dataclass
class TimelineRow:
    visit: Visit
    x: float
    width: float
    y: int


@dataclass
class WorkspaceTimeline:
    workspace: Workspace
    rows: list[TimelineRow]
    height: int


def stay_timelines(*, start: dt.date, days: int = 90) -> list[WorkspaceTimeline]:
    """Approved stays in the window, one row each, grouped by workspace (two queries)."""
    end = start + dt.timedelta(days=days - 1)
    workspaces = list(Workspace.objects.all())
    visits = (
        Visit.objects.holding_desks()
        .overlapping(start, end)
        .filter(workspace__isnull=False)
        .select_related("researcher", "host")
        .order_by("first_day", "pk")
    )
    by_workspace: dict[int, list[Visit]] = {}
    for visit in visits:
        by_workspace.setdefault(visit.workspace_id, []).append(visit)
    timelines = []
    for workspace in workspaces:
        rows = []
        for index, visit in enumerate(by_workspace.get(workspace.pk, [])):
            first = max(visit.first_day, start)
            last = min(visit.last_day, end)
            rows.append(
                TimelineRow(
                    visit=visit,
                    x=MARGIN_LEFT + (first - start).days * DAY_WIDTH,
                    width=((last - first).days + 1) * DAY_WIDTH,
                    y=index * 22 + 4,
                )
            )
        timelines.append(WorkspaceTimeline(workspace=workspace, rows=rows, height=max(len(rows), 1) * 22 + 8))
    return timelines
