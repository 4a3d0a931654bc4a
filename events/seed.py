"""Demo rooms, series and seminars for `manage.py seed_demo`. Idempotent: keyed by slug."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from projects.models import Project
from projects.seed import PROJECTS
from researchers.models import Researcher, Theme

from .models import Event, EventSpeaker, Room, Series
from .services import event_create, event_update, events_bulk_create

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
        fields = {
            "title": title,
            "series": series,
            "start": start,
            "end": start + dt.timedelta(minutes=90),
            "room": room,
            "abstract": f"**{title}.** A talk in the {series.title}.\n\nQuestions welcome.",
        }
        # Through the services, so the demo obeys the room rule like everything else.
        event = Event.objects.filter(slug=f"demo-{index + 1}").first()
        if event is None:
            event_create(
                slug=f"demo-{index + 1}",
                status=Event.Status.PUBLISHED,
                themes=[themes[theme]],
                speakers=[speakers[speaker_slug]],
                **fields,
            )
        else:
            event_update(event=event, themes=[themes[theme]], **fields)
            if not event.speaker_links.exists():
                EventSpeaker.objects.create(event=event, researcher=speakers[speaker_slug])


def seed_project_seminars() -> None:
    """Link the demo seminars each demo project names (projects.seed.PROJECTS) to it, through
    event_update: a seminar of the project's theme with one of the slugs it lists."""
    projects = {project.slug: project for project in Project.objects.all()}
    for spec in PROJECTS:
        theme_slug, event_slugs = spec["seminars"]
        project = projects.get(spec["slug"])
        if project is None or not event_slugs:
            continue
        for event in Event.objects.filter(themes__slug=theme_slug, slug__in=event_slugs).exclude(
            project=project
        ):
            event_update(event=event, project=project)


# --- `seed_demo --events N`: many realistic events for demos and benchmarks --------------------

BULK_PREFIX = "demo-bulk-"
BULK_ROOMS = [
    ("Lecture Hall 1", "Floor 2", 150),
    ("Lecture Hall 2", "Floor 2", 90),
    ("Workshop Room", "Floor 4", 30),
]
BULK_SERIES = [
    ("safety-reading-group", "AI Safety Reading Group", "AI 안전성 읽기 모임", "ai-safety"),
    ("efficient-ml-seminar", "Efficient ML Seminar", "효율적 기계학습 세미나", "efficient-ml"),
    ("multilingual-nlp-colloquium", "Multilingual NLP Colloquium", "다국어 NLP 콜로키움", "multilingual-nlp"),
]
# Slots (start hour, minutes) that never overlap each other nor the 10:00 and 16:00 series talks.
BULK_SLOTS = [(8, 0), (12, 0), (18, 0)]
TOPICS = [
    "Scaling laws for mixture-of-experts",
    "Robust reward models",
    "Tokenisation for Korean",
    "Quantised training at scale",
    "World models for manipulation",
    "Evaluating long-context reasoning",
    "Interpretability of attention heads",
    "Data curation for pre-training",
    "Speculative decoding in practice",
    "Benchmarks that resist contamination",
]
KINDS = [Event.Kind.SEMINAR] * 6 + [
    Event.Kind.LECTURE,
    Event.Kind.WORKSHOP,
    Event.Kind.COLLOQUIUM,
    Event.Kind.SOCIAL,
]
FORMATS = [Event.Format.IN_PERSON] * 3 + [Event.Format.HYBRID, Event.Format.ONLINE]


def seed_bulk_events(count: int) -> tuple[int, int]:
    """Make `count` published events named demo-bulk-1..count (idempotent: existing ones are kept).

    Returns (created, refused for a room clash). Bulk inserts: thousands take seconds.
    """
    if count <= 0:
        return 0, 0
    rooms = []
    for name, location, capacity in BULK_ROOMS:
        room, _ = Room.objects.get_or_create(name=name, defaults={"location": location, "capacity": capacity})
        rooms.append(room)
    themes = {t.slug: t for t in Theme.objects.all()}
    series_list = []
    for slug, title, title_ko, theme in BULK_SERIES:
        series, created = Series.objects.get_or_create(
            slug=slug, defaults={"title": title, "title_ko": title_ko, "description": f"The hub's {title}."}
        )
        if created and theme in themes:
            series.themes.set([themes[theme]])
        series_list.append((series, themes.get(theme)))
    speakers = list(Researcher.objects.order_by("pk")[:20])
    existing = set(Event.objects.filter(slug__startswith=BULK_PREFIX).values_list("slug", flat=True))
    per_day = len(rooms) * len(BULK_SLOTS)
    today = timezone.localdate(timezone=SEOUL)
    first_day = today - dt.timedelta(days=(count // per_day) // 2 + 1)
    now = timezone.now()
    candidates, speaker_map, theme_map = [], {}, {}
    for index in range(count):
        slug = f"{BULK_PREFIX}{index + 1}"
        if slug in existing:
            continue
        day = first_day + dt.timedelta(days=index // per_day)
        room = rooms[index % len(rooms)]
        hour, minute = BULK_SLOTS[(index // len(rooms)) % len(BULK_SLOTS)]
        start = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SEOUL)
        series, theme = series_list[index % len(series_list)]
        event_format = FORMATS[index % len(FORMATS)]
        past = start < now
        cancelled = index % 37 == 5
        event = Event(
            slug=slug,
            title=f"{TOPICS[index % len(TOPICS)]} ({index + 1})",
            kind=KINDS[index % len(KINDS)],
            series=series if index % 4 else None,
            abstract=f"A talk on *{TOPICS[index % len(TOPICS)].lower()}*.\n\nQuestions welcome.",
            start=start,
            end=start + dt.timedelta(minutes=90),
            room=None if event_format == Event.Format.ONLINE else room,
            online_url=""
            if event_format == Event.Format.IN_PERSON
            else f"https://meet.example.org/hub-{index + 1}",
            format=event_format,
            status=Event.Status.CANCELLED if cancelled else Event.Status.PUBLISHED,
            cancellation_reason="The speaker cannot travel." if cancelled else "",
            visibility=Event.Visibility.MEMBERS if index % 11 == 3 else Event.Visibility.PUBLIC,
            language=Event.Language.KOREAN if index % 5 == 2 else Event.Language.ENGLISH,
            recording_url=f"https://video.example.org/hub-{index + 1}" if past and not cancelled else "",
            slides_url=f"https://slides.example.org/hub-{index + 1}.pdf" if past and not cancelled else "",
            speakers_tba=not speakers,
            published_at=now,
        )
        candidates.append(event)
        if speakers:
            speaker_map[slug] = [speakers[index % len(speakers)]]
        if theme is not None:
            theme_map[slug] = [theme]
    created, refused = events_bulk_create(events=candidates, speakers=speaker_map, themes=theme_map)
    return len(created), len(refused)
