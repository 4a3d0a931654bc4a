"""Demo rooms, series and seminars for `manage.py seed_demo`. Idempotent: keyed by slug.

The demo is laid out around the day it is seeded and read as a showcase, so it keeps its own word:
each series' sessions fall on the weekday and at the time the series states, Korean public
holidays skipped (the rule `series_generate_sessions` follows); each talk is filed under the series
and themes of its subject, given by a demo researcher, linked to the project it belongs to, and
titled in Korean too. A visitor's talk falls inside their stay (visits/seed.py links the two).
Runs after seed_people and seed_projects; tests/hubsite/test_demo_consistency.py pins the rules.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from projects.models import Project
from researchers.models import Researcher, Theme
from researchers.seed import in_a_sentence

from .models import Event, EventSpeaker, Room, Series
from .services import _holidays as korean_public_holidays
from .services import event_create, event_update, events_bulk_create

SEOUL = ZoneInfo("Asia/Seoul")

ROOMS = [
    ("Auditorium", "Floor 1", 120),
    ("Seminar Room A", "Floor 3, east wing", 40),
    ("Seminar Room B", "Floor 3, west wing", 24),
]

SESSION_MINUTES = 90
ANNOUNCED_DAYS_AHEAD = 30

SERIES = [
    # slug, title, Korean title, theme, default room, weekday, start time, organiser
    (
        "scaling-laws-seminar",
        "International Seminar on Neural Scaling Laws",
        "신경망 스케일링 법칙 국제 세미나",
        "neural-scaling-laws",
        "Auditorium",
        Series.Weekday.TUESDAY,
        dt.time(16, 0),
        "ji-won-park",
    ),
    (
        "robotics-fm-seminar",
        "Robotics Foundation Models Seminar",
        "로봇 파운데이션 모델 세미나",
        "robotics-foundation-models",
        "Seminar Room A",
        Series.Weekday.THURSDAY,
        dt.time(10, 0),
        "min-jun-lee",
    ),
]


@dataclass(frozen=True)
class Talk:
    slug: str
    title: str
    title_ko: str
    speaker: str
    themes: tuple[str, ...]
    abstract: str
    project: str | None = None
    # In a series: the session, counted from today (-1 the last one before today, 1 the next one after).
    series: str | None = None
    session: int = 0
    # Outside a series: the first working day at least `days_ahead` days from today, at `time`.
    room: str = ""
    days_ahead: int = 0
    time: dt.time | None = None
    language: str = Event.Language.ENGLISH


TALKS = [
    Talk(
        slug="demo-1",
        title="Beyond power laws: when scaling curves bend",
        title_ko="멱법칙을 넘어서: 스케일링 곡선이 휘어질 때",
        speaker="sarah-chen",  # during her stay at the hub (visits/seed.py)
        themes=("neural-scaling-laws",),
        project="compute-optimal-korean-llms",
        series="scaling-laws-seminar",
        session=1,
        abstract=(
            "Scaling curves are straight lines on a log-log plot until they are not. We look at where "
            "power laws break (repeated data, saturation, abrupt skills) and what that means for "
            "planning a training run.\n\nQuestions welcome."
        ),
    ),
    Talk(
        slug="demo-2",
        title="Data-constrained scaling for Korean language models",
        title_ko="한국어 언어 모델의 데이터 제약 스케일링",
        speaker="seo-yeon-kim",
        themes=("neural-scaling-laws", "multilingual-nlp"),
        project="compute-optimal-korean-llms",
        series="scaling-laws-seminar",
        session=2,
        language=Event.Language.KOREAN,
        abstract=(
            "High-quality Korean text runs out long before compute does. We fit scaling laws that "
            "account for repeated data and show how to split a fixed budget between model size and "
            "tokens.\n\nThe talk is in Korean; slides are in English."
        ),
    ),
    Talk(
        slug="demo-3",
        title="Cross-embodiment policies from one million trajectories",
        title_ko="백만 개의 궤적으로 배우는 교차 구현 정책",
        speaker="omar-al-mansoori",
        themes=("robotics-foundation-models",),
        project="cross-embodiment-policies",
        series="robotics-fm-seminar",
        session=-1,
        abstract=(
            "One policy for many robot bodies: what transfers between a dozen embodiments when a "
            "single model is trained on a million shared trajectories, and what does not."
        ),
    ),
    Talk(
        slug="demo-4",
        title="Sim-to-real transfer for dexterous manipulation",
        title_ko="정교한 조작을 위한 시뮬레이션-실세계 전이",
        speaker="min-jun-lee",
        themes=("robotics-foundation-models",),
        project="cross-embodiment-policies",
        series="robotics-fm-seminar",
        session=1,
        abstract=(
            "Dexterous hands learn in simulation; the real world disagrees. Domain randomisation, "
            "system identification and a few hours of real data close most of the gap."
        ),
    ),
    Talk(
        slug="demo-5",
        title="Compute-optimal training in practice",
        title_ko="연산 최적 학습의 실제",
        speaker="ji-won-park",
        themes=("neural-scaling-laws",),
        project="compute-optimal-korean-llms",
        series="scaling-laws-seminar",
        session=-1,
        abstract=(
            "What compute-optimal scaling recommends, and what we did instead when training Korean "
            "models on the hub's cluster."
        ),
    ),
    Talk(
        slug="demo-6",
        title="Native benchmarks for multilingual reasoning",
        title_ko="다국어 추론을 위한 원어 벤치마크",
        speaker="louis-martin",  # during his stay at the hub (visits/seed.py)
        themes=("multilingual-nlp",),
        room="Seminar Room B",
        days_ahead=2,
        time=dt.time(14, 0),
        abstract=(
            "Benchmarks translated from English test translation as much as reasoning. Reasoning "
            "benchmarks written natively in Korean and French, and what they show that translated "
            "ones hide."
        ),
    ),
]


def _is_working_day(day: dt.date, holidays: dict) -> bool:
    return day.weekday() < 5 and day not in holidays


def series_session_day(series: Series, today: dt.date, session: int) -> dt.date:
    """The day of a series' session counted from today (1: the first one after today, -1: the last
    one before), on the series' weekday and never on a Korean public holiday."""
    step = dt.timedelta(days=1 if session > 0 else -1)
    holidays = korean_public_holidays({today.year - 1, today.year, today.year + 1})
    day, found = today, 0
    while found < abs(session):
        day += step
        if day.weekday() == series.default_weekday and day not in holidays:
            found += 1
    return day


def first_working_day(today: dt.date, days_ahead: int) -> dt.date:
    holidays = korean_public_holidays({today.year, today.year + 1})
    day = today + dt.timedelta(days=days_ahead)
    while not _is_working_day(day, holidays):
        day += dt.timedelta(days=1)
    return day


def seed_seminars() -> None:
    rooms = {}
    for name, location, capacity in ROOMS:
        rooms[name], _ = Room.objects.update_or_create(
            name=name, defaults={"location": location, "capacity": capacity}
        )
    themes = {t.slug: t for t in Theme.objects.all()}
    people = {r.slug: r for r in Researcher.objects.all()}
    projects = {p.slug: p for p in Project.objects.all()}
    all_series = {}
    for slug, title, title_ko, theme, room, weekday, start_time, organiser in SERIES:
        series, _ = Series.objects.update_or_create(
            slug=slug,
            defaults={
                "title": title,
                "title_ko": title_ko,
                "default_room": rooms[room],
                "default_weekday": weekday,
                "default_start_time": start_time,
                "default_duration_minutes": SESSION_MINUTES,
                "description": "A regular international seminar of the hub on "
                f"{in_a_sentence(themes[theme].name)}.",
            },
        )
        series.themes.set([themes[theme]])
        series.organisers.set([people[organiser]])
        all_series[slug] = series

    today = timezone.localdate(timezone=SEOUL)
    existing = {event.slug: event for event in Event.objects.filter(slug__in=[t.slug for t in TALKS])}
    plans = [(talk, _talk_fields(talk, today, all_series, rooms, projects)) for talk in TALKS]
    # Seeded again on a later (or earlier) day, every talk moves the same way; moving the farthest
    # first frees each slot before another talk moves into it, so the room rule holds throughout.
    plans.sort(key=lambda plan: _move_order(existing.get(plan[0].slug), plan[1]["start"]))
    for talk, fields in plans:
        talk_themes = [themes[slug] for slug in talk.themes]
        # Through the services, so the demo obeys the room rule like everything else.
        event = existing.get(talk.slug)
        if event is None:
            event_create(
                slug=talk.slug,
                status=Event.Status.PUBLISHED,
                themes=talk_themes,
                speakers=[people[talk.speaker]],
                **fields,
            )
        else:
            event_update(event=event, themes=talk_themes, **fields)
            if not event.speaker_links.exists():
                EventSpeaker.objects.create(event=event, researcher=people[talk.speaker])
        # Announced a month ahead, as the hub does: a past talk was not published after it happened.
        announced = min(fields["start"] - dt.timedelta(days=ANNOUNCED_DAYS_AHEAD), timezone.now())
        Event.objects.filter(slug=talk.slug).exclude(published_at=announced).update(published_at=announced)


def _talk_fields(talk: Talk, today: dt.date, all_series: dict, rooms: dict, projects: dict) -> dict:
    series = all_series[talk.series] if talk.series else None
    if series is not None:
        day = series_session_day(series, today, talk.session)
        start_time, room = series.default_start_time, series.default_room
    else:
        day, start_time, room = first_working_day(today, talk.days_ahead), talk.time, rooms[talk.room]
    start = dt.datetime.combine(day, start_time, tzinfo=SEOUL)
    return {
        "title": talk.title,
        "title_ko": talk.title_ko,
        "series": series,
        "project": projects.get(talk.project) if talk.project else None,
        "start": start,
        "end": start + dt.timedelta(minutes=SESSION_MINUTES),
        "room": room,
        "language": talk.language,
        "abstract": talk.abstract,
    }


def _move_order(event: Event | None, start: dt.datetime) -> tuple[int, float]:
    if event is None or start <= event.start:
        return (1, start.timestamp())  # new, or moving earlier: the earliest first
    return (0, -start.timestamp())  # moving later: the latest first


# --- `seed_demo --events N`: many realistic events for demos and benchmarks --------------------

BULK_PREFIX = "demo-bulk-"
BULK_ROOMS = [
    ("Lecture Hall 1", "Floor 2", 150),
    ("Lecture Hall 2", "Floor 2", 90),
    ("Workshop Room", "Floor 4", 30),
]
BULK_SERIES = [
    # slug, title, Korean title, theme, topics (English, Korean): each talk is on its series' theme
    (
        "safety-reading-group",
        "AI Safety Reading Group",
        "AI 안전성 읽기 모임",
        "ai-safety",
        [
            ("Robust reward models", "강건한 보상 모델"),
            ("Interpretability of attention heads", "어텐션 헤드의 해석 가능성"),
            ("Red-teaming language models", "언어 모델 레드팀 평가"),
        ],
    ),
    (
        "efficient-ml-seminar",
        "Efficient ML Seminar",
        "효율적 기계학습 세미나",
        "efficient-ml",
        [
            ("Quantised training at scale", "대규모 양자화 학습"),
            ("Speculative decoding in practice", "추측 디코딩의 실제"),
            ("Sparse mixture-of-experts at low cost", "적은 비용의 희소 전문가 혼합 모델"),
            ("Data curation for pre-training", "사전 학습을 위한 데이터 선별"),
        ],
    ),
    (
        "multilingual-nlp-colloquium",
        "Multilingual NLP Colloquium",
        "다국어 NLP 콜로키움",
        "multilingual-nlp",
        [
            ("Tokenisation for Korean", "한국어 토큰화"),
            ("Evaluating long-context reasoning", "긴 문맥 추론 평가"),
            ("Benchmarks that resist contamination", "오염에 강한 벤치마크"),
        ],
    ),
]
# Slots (start hour, minutes) that never overlap each other nor the 10:00 and 16:00 series talks.
BULK_SLOTS = [(8, 0), (12, 0), (18, 0)]
KINDS = [Event.Kind.SEMINAR] * 6 + [
    Event.Kind.LECTURE,
    Event.Kind.WORKSHOP,
    Event.Kind.COLLOQUIUM,
    Event.Kind.LECTURE,
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
    for slug, title, title_ko, theme_slug, topics in BULK_SERIES:
        series, created = Series.objects.get_or_create(
            slug=slug, defaults={"title": title, "title_ko": title_ko, "description": f"The hub's {title}."}
        )
        theme = themes.get(theme_slug)
        if created and theme is not None:
            series.themes.set([theme])
        # Speakers who work on the series' theme (anyone, when nobody does); not visiting
        # researchers, whose talks fall inside their stays (seed_seminars and visits/seed.py).
        speakers = Researcher.objects.filter(is_visiting=False).order_by("pk")
        people = list(speakers.filter(themes=theme)[:20]) if theme else []
        people = people or list(speakers[:20])
        series_list.append((series, theme, topics, people))
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
        series, theme, topics, people = series_list[index % len(series_list)]
        topic, topic_ko = topics[(index // len(series_list)) % len(topics)]
        event_format = FORMATS[index % len(FORMATS)]
        past = start < now
        cancelled = index % 37 == 5
        event = Event(
            slug=slug,
            title=f"{topic} ({index + 1})",
            title_ko=f"{topic_ko} ({index + 1})",
            kind=KINDS[index % len(KINDS)],
            series=series if index % 4 else None,
            abstract=f"A talk on *{topic[:1].lower() + topic[1:]}*.\n\nQuestions welcome.",
            start=start,
            end=start + dt.timedelta(minutes=90),
            room=None if event_format == Event.Format.ONLINE else room,
            online_url=""
            if event_format == Event.Format.IN_PERSON
            else f"https://meet.example.org/hub-{index + 1}",
            format=event_format,
            status=Event.Status.CANCELLED if cancelled else Event.Status.PUBLISHED,
            cancellation_reason="The speaker fell ill; the talk will be rescheduled." if cancelled else "",
            visibility=Event.Visibility.MEMBERS if index % 11 == 3 else Event.Visibility.PUBLIC,
            language=Event.Language.KOREAN if index % 5 == 2 else Event.Language.ENGLISH,
            recording_url=f"https://video.example.org/hub-{index + 1}" if past and not cancelled else "",
            slides_url=f"https://slides.example.org/hub-{index + 1}.pdf" if past and not cancelled else "",
            speakers_tba=not people,
            # Announced a month ahead (or now, for what is closer than that).
            published_at=min(now, start - dt.timedelta(days=ANNOUNCED_DAYS_AHEAD)),
        )
        candidates.append(event)
        if people:
            speaker_map[slug] = [people[index % len(people)]]
        if theme is not None:
            theme_map[slug] = [theme]
    created, refused = events_bulk_create(events=candidates, speakers=speaker_map, themes=theme_map)
    return len(created), len(refused)
