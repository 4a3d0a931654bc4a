"""Demo projects for `manage.py seed_demo`. Idempotent: keyed by slug (outputs by title).

Runs after seed_people. Each project names the demo seminars that belong to it ("seminars": a theme
and event slugs); `events.seed.seed_project_seminars` links them through the events services, since
events' rows are written by events alone.
"""

from researchers.models import Institution, Researcher, Theme

from .models import Project, ProjectMember, ProjectOutput, ProjectPartner
from .services import project_lead_sync

PROJECTS = [
    {
        "slug": "compute-optimal-korean-llms",
        "title": "Compute-optimal scaling for Korean language models",
        "title_ko": "한국어 언어 모델의 연산 최적 스케일링",
        "lead": "ji-won-park",
        "status": Project.Status.ACTIVE,
        "start": "2025-03-01",
        "end": "2027-02-28",
        "themes": ["neural-scaling-laws", "multilingual-nlp"],
        "members": [
            ("sarah-chen", ProjectMember.Role.VISITING_MEMBER),
            ("seo-yeon-kim", ProjectMember.Role.INDUSTRY_LIAISON),
            ("amelie-tremblay", ProjectMember.Role.VISITING_MEMBER),  # not listed: counted only
        ],
        "partners": [
            ("mit", ProjectPartner.Role.PARTNER),
            ("naver-cloud", ProjectPartner.Role.INDUSTRY_PARTNER),
            ("kaist", ProjectPartner.Role.FUNDER),
        ],
        "seminars": ("neural-scaling-laws", ["demo-1", "demo-5"]),
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
                "year": 2025,
                "arxiv_id": "2503.01234",
            },
            {
                "kind": ProjectOutput.Kind.PAPER,
                "title": "Repeating tokens: how many epochs are worth it?",
                "authors": "Chen, S.; Park, J.-w.",
                "venue": "Proceedings of the Demo Conference on Learning",
                "year": 2025,
                "doi": "10.5555/demo.2025.0042",
            },
            {
                "kind": ProjectOutput.Kind.SOFTWARE,
                "title": "scaling-ko: training recipes",
                "authors": "Hub scaling team",
                "year": 2025,
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
        "start": "2025-09-01",
        "end": None,
        "themes": ["robotics-foundation-models"],
        "members": [("omar-al-mansoori", ProjectMember.Role.MEMBER)],
        "partners": [("mbzuai", ProjectPartner.Role.PARTNER), ("kaist", ProjectPartner.Role.PARTNER)],
        "seminars": ("robotics-foundation-models", ["demo-3", "demo-4"]),
        "website": "",
        "repository_url": "",
        "summary": "One policy for many robot bodies, trained on a million shared trajectories.",
        "outputs": [
            {
                "kind": ProjectOutput.Kind.DATASET,
                "title": "Hub manipulation trajectories, release 1",
                "authors": "Lee, M.-j.; Al Mansoori, O.",
                "year": 2026,
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
        "start": "2024-01-15",
        "end": "2025-06-30",
        "themes": ["multilingual-nlp", "efficient-ml"],
        "members": [("louis-martin", ProjectMember.Role.VISITING_MEMBER)],
        "partners": [("inria", ProjectPartner.Role.PARTNER)],
        "seminars": ("multilingual-nlp", []),
        "website": "",
        "repository_url": "",
        "summary": "Benchmarks written natively in Korean and French instead of translated from English.",
        "outputs": [
            {
                "kind": ProjectOutput.Kind.TALK,
                "title": "Translated benchmarks mislead",
                "authors": "Martin, L.",
                "venue": "Hub seminar",
                "year": 2025,
            },
        ],
    },
]


def seed_projects() -> None:
    people = {r.slug: r for r in Researcher.objects.all()}
    institutions = {i.slug: i for i in Institution.objects.all()}
    themes = {t.slug: t for t in Theme.objects.all()}
    for spec in PROJECTS:
        project, _ = Project.objects.update_or_create(
            slug=spec["slug"],
            defaults={
                "title": spec["title"],
                "title_ko": spec["title_ko"],
                "lead": people[spec["lead"]],
                "status": spec["status"],
                "start_date": spec["start"],
                "end_date": spec["end"],
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
            values = {"venue": "", "doi": "", "arxiv_id": "", "url": "", **output}
            ProjectOutput.objects.update_or_create(
                project=project, title=values.pop("title"), defaults=values
            )
