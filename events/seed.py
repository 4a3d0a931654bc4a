"""Demo rooms, series and seminars for `manage.py seed_demo`. Idempotent: keyed by slug."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from researchers.models import Researcher, Theme

from .models import Event, EventSpeaker, Room, Series

SEOUL = ZoneInfo("Asia/Seoul")

ROOMS = [
    ("Auditorium", "Floor 1", 120),
    ("Seminar Room A", "Floor 3, east wing", 40),
    ("Seminar Room B", "Floor 3, west wing", 24),
]

SERIES = [
    # slug, title, Korean title, theme, default room, weekday (Monday is 0), start time
    (
        "scaling-laws-seminar",
        "International Seminar on Neural Scaling Laws",
        "신경망 스케일링 법칙 국제 세미나",
        "neural-scaling-laws",
        "Auditorium",
        1,
        dt.time(16, 0),
    ),
    (
        "robotics-fm-seminar",
        "Robotics Foundation Models Seminar",
        "로봇 파운데이션 모델 세미나",
        "robotics-foundation-models",
        "Seminar Room A",
        3,
        dt.time(10, 0),
    ),
]

TALKS = [
    ("Beyond power laws: when scaling curves bend", "sarah-chen"),
    ("Data-constrained scaling for Korean language models", "seo-yeon-kim"),
    ("Cross-embodiment policies from one million trajectories", "omar-al-mansoori"),
    ("Sim-to-real transfer for dexterous manipulation", "min-jun-lee"),
    ("Compute-optimal training in practice", "ji-won-park"),
    ("Multilingual evaluation without translation artefacts", "louis-martin"),
]


def seed_seminars() -> None:
    rooms = {}
    for name, location, capacity in ROOMS:
        rooms[name], _ = Room.objects.update_or_create(
            name=name, defaults={"location": location, "capacity": capacity}
        )
    themes = {t.slug: t for t in Theme.objects.all()}
    speakers = {r.slug: r for r in Researcher.objects.all()}
    all_series = []
    for slug, title, title_ko, theme, room, weekday, start_time in SERIES:
        series, _ = Series.objects.update_or_create(
            slug=slug,
            defaults={
                "title": title,
                "title_ko": title_ko,
                "default_room": rooms[room],
                "default_weekday": weekday,
                "default_start_time": start_time,
                "description": f"A regular international seminar of the hub on {themes[theme].name.lower()}.",
            },
        )
        series.themes.set([themes[theme]])
        all_series.append((series, theme, rooms[room]))

    today = timezone.localdate(timezone=SEOUL)
    for index, (title, speaker_slug) in enumerate(TALKS):
        series, theme, room = all_series[index % 2]
        # Alternate past and upcoming talks, a week apart, never two in one room at once.
        week_offset = (index // 2 + 1) * (-1 if index % 3 == 0 else 1)
        day = today + dt.timedelta(weeks=week_offset, days=index)
        start = dt.datetime.combine(day, series.default_start_time, tzinfo=SEOUL)
        event, _ = Event.objects.update_or_create(
            slug=f"demo-{index + 1}",
            defaults={
                "title": title,
                "series": series,
                "start": start,
                "end": start + dt.timedelta(minutes=90),
                "room": room,
                "status": Event.Status.PUBLISHED,
                "published_at": timezone.now(),
                "abstract": f"**{title}.** A talk in the {series.title}.\n\nQuestions welcome.",
            },
        )
        event.themes.set([themes[theme]])
        EventSpeaker.objects.get_or_create(event=event, researcher=speakers[speaker_slug])
