"""Demo projects for `manage.py seed_demo`. Idempotent: keyed by slug (outputs by title).

Runs after seed_people. Dates are months from the day it is seeded (`demo_month`), inside the
partnerships of the partner institutions; outputs are dated from the project's start to this year.
The demo seminars name their projects themselves (events/seed.py).
"""

import datetime as dt

from django.utils import timezone

from researchers.models import Institution, Researcher, Theme
from researchers.seed import demo_month

from .models import Project, ProjectMember, ProjectOutput, ProjectPartner
from .services import project_lead_sync

PROJECTS = [
    {
        "slug": "compute-optimal-korean-llms",
        "title": "Compute-optimal scaling for Korean language models",
        "title_ko": "한국어 언어 모델의 연산 최적 스케일링",
        "lead": "ji-won-park",
        "status": Project.Status.ACTIVE,
        "months": (-14, 10),  # first month, and the month after the last day
        "themes": ["neural-scaling-laws", "multilingual-nlp"],
        "members": [
            ("sarah-chen", ProjectMember.Role.VISITING_MEMBER),
            ("seo-yeon-kim", ProjectMember.Role.INDUSTRY_LIAISON),
            # Evaluates the safety of the project's models; not listed publicly: counted only.
            ("amelie-tremblay", ProjectMember.Role.VISITING_MEMBER),
        ],
        "partners": [
            ("mit", ProjectPartner.Role.PARTNER),
            ("naver-cloud", ProjectPartner.Role.INDUSTRY_PARTNER),
            ("kaist", ProjectPartner.Role.PARTNER),
        ],
        "website": "https://hub.example.org/scaling-ko",
        "repository_url": "https://github.com/example/scaling-ko",
        "summary": (
            "How should a fixed compute budget be split between **model size** and **data** when "
            "high-quality Korean text is scarce?\n\nWe fit data-constrained scaling laws on Korean and "
            "English corpora and release the training recipes."
        ),
        "outputs": [
            {
                "kind": ProjectOutput.Kind.PREPRINT,
                "title": "Data-constrained scaling laws for Korean",
                "authors": "Park, J.-w.; Chen, S.; Kim, S.-y.",
                "venue": "arXiv",
                "years_after_start": 0,
                "arxiv_id": "{yymm}.01234",  # arXiv ids start with the year and month
            },
            {
                "kind": ProjectOutput.Kind.PAPER,
                "title": "Repeating tokens: how many epochs are worth it?",
                "authors": "Chen, S.; Park, J.-w.",
                "venue": "Proceedings of the Demo Conference on Learning",
                "years_after_start": 0,
                "doi": "10.5555/demo.{year}.0042",
            },
            {
                "kind": ProjectOutput.Kind.SOFTWARE,
                "title": "scaling-ko: training recipes",
                "authors": "Hub scaling team",
                "years_after_start": 0,
                "url": "https://github.com/example/scaling-ko",
            },
        ],
    },
    {
        "slug": "cross-embodiment-policies",
        "title": "Cross-embodiment robot policies",
        "title_ko": "교차 구현 로봇 정책",
        "lead": "min-jun-lee",
        "status": Project.Status.ACTIVE,
        "months": (-8, None),
        "themes": ["robotics-foundation-models"],
        "members": [("omar-al-mansoori", ProjectMember.Role.MEMBER)],
        "partners": [("mbzuai", ProjectPartner.Role.PARTNER), ("kaist", ProjectPartner.Role.PARTNER)],
        "website": "",
        "repository_url": "",
        "summary": "One policy for many robot bodies, trained on a million shared trajectories.",
        "outputs": [
            {
                "kind": ProjectOutput.Kind.DATASET,
                "title": "Hub manipulation trajectories, release 1",
                "authors": "Lee, M.-j.; Al Mansoori, O.",
                "years_after_start": 1,
                "doi": "10.5555/demo.dataset.7",
            },
        ],
    },
    {
        "slug": "multilingual-eval",
        "title": "Multilingual evaluation without translation artefacts",
        "title_ko": "번역 인공물 없는 다국어 평가",
        "lead": "seo-yeon-kim",
        "status": Project.Status.COMPLETED,
        "months": (-28, -10),
        "themes": ["multilingual-nlp", "efficient-ml"],
        "members": [("louis-martin", ProjectMember.Role.VISITING_MEMBER)],
        "partners": [("inria", ProjectPartner.Role.PARTNER)],
        "website": "",
        "repository_url": "",
        "summary": "Benchmarks written natively in Korean and French instead of translated from English.",
        "outputs": [
            {
                "kind": ProjectOutput.Kind.TALK,
                "title": "Translated benchmarks mislead",
                "authors": "Martin, L.",
                "venue": "Hub seminar",
                "years_after_start": 1,
            },
        ],
    },
]


def _dates(spec: dict, today: dt.date) -> tuple[dt.date, dt.date | None]:
    first, after = spec["months"]
    start = demo_month(today, first)
    return start, (demo_month(today, after) - dt.timedelta(days=1) if after is not None else None)


def _output_year(output: dict, start: dt.date, end: dt.date | None, today: dt.date) -> int:
    """The start's year plus the offset, never after the project's end nor after this year."""
    return min(start.year + output["years_after_start"], (end or today).year, today.year)


def seed_projects() -> None:
    people = {r.slug: r for r in Researcher.objects.all()}
    institutions = {i.slug: i for i in Institution.objects.all()}
    themes = {t.slug: t for t in Theme.objects.all()}
    today = timezone.localdate()
    for spec in PROJECTS:
        start, end = _dates(spec, today)
        project, _ = Project.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "title": spec["title"],
                "title_ko": spec["title_ko"],
                "lead": people[spec["lead"]],
                "status": spec["status"],
                "start_date": start,
                "end_date": end,
                "is_public": True,
                "summary": spec["summary"],
                "website": spec["website"],
                "repository_url": spec["repository_url"],
            },
        )
        project.themes.set([themes[slug] for slug in spec["themes"]])
        project_lead_sync(project=project)
        for slug, role in spec["members"]:
            ProjectMember.objects.update_or_create(
                project=project, researcher=people[slug], defaults={"role": role}
            )
        for slug, role in spec["partners"]:
            ProjectPartner.objects.update_or_create(
                project=project, institution=institutions[slug], defaults={"role": role}
            )
        for output in spec["outputs"]:
            year = _output_year(output, start, end, today)
            month = start.month if year == start.year else 1
            values = {"venue": "", "doi": "", "arxiv_id": "", "url": "", **output, "year": year}
            del values["years_after_start"]
            for name in ("doi", "arxiv_id"):
                values[name] = values[name].format(year=year, yymm=f"{year % 100:02d}{month:02d}")
            ProjectOutput.objects.update_or_create(
                project=project, title=values.pop("title"), defaults=values
            )
