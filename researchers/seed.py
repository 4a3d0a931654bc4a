"""Demo people, partners and themes for `manage.py seed_demo`. Idempotent: keyed by slug."""

import datetime as dt

from django.contrib.auth import get_user_model

from .models import Institution, Researcher, Theme

DEMO_STAFF_EMAIL = "staff@hub.example.org"
DEMO_STAFF_PASSWORD = "hub-demo-staff-2026"  # noqa: S105 - demo data, stated in the README

THEMES = [
    (
        "neural-scaling-laws",
        "Neural scaling laws",
        "신경망 스케일링 법칙",
        "How loss, data and compute trade off.",
    ),
    (
        "robotics-foundation-models",
        "Robotics foundation models",
        "로봇 파운데이션 모델",
        "Generalist robot policies.",
    ),
    ("ai-safety", "AI safety and alignment", "AI 안전성과 정렬", "Making capable systems trustworthy."),
    ("efficient-ml", "Efficient machine learning", "효율적인 기계학습", "Doing more with less compute."),
    ("multilingual-nlp", "Multilingual language models", "다국어 언어 모델", "Korean and beyond."),
]

INSTITUTIONS = [
    ("kaist", "KAIST", "한국과학기술원", "KAIST", "KR", "Daejeon", "university"),
    ("mit", "Massachusetts Institute of Technology", "", "MIT", "US", "Cambridge, MA", "university"),
    ("mila", "Mila - Quebec AI Institute", "", "Mila", "CA", "Montréal", "institute"),
    ("inria", "Inria", "", "Inria", "FR", "Paris", "institute"),
    (
        "mbzuai",
        "Mohamed bin Zayed University of Artificial Intelligence",
        "",
        "MBZUAI",
        "AE",
        "Abu Dhabi",
        "university",
    ),
    ("naver-cloud", "NAVER Cloud", "네이버클라우드", "NAVER", "KR", "Seongnam", "company"),
]

RESEARCHERS = [
    # slug, name, name_ko, position, institution, country, themes, member, visiting, speaker, public
    (
        "ji-won-park",
        "Ji-won Park",
        "박지원",
        "Director",
        "kaist",
        "KR",
        ["neural-scaling-laws"],
        True,
        False,
        True,
        True,
    ),
    (
        "min-jun-lee",
        "Min-jun Lee",
        "이민준",
        "Senior researcher",
        "kaist",
        "KR",
        ["robotics-foundation-models"],
        True,
        False,
        True,
        True,
    ),
    (
        "sarah-chen",
        "Sarah Chen",
        "",
        "Associate professor",
        "mit",
        "US",
        ["neural-scaling-laws", "efficient-ml"],
        False,
        True,
        True,
        True,
    ),
    (
        "louis-martin",
        "Louis Martin",
        "",
        "Research scientist",
        "inria",
        "FR",
        ["multilingual-nlp"],
        False,
        True,
        True,
        True,
    ),
    (
        "amelie-tremblay",
        "Amélie Tremblay",
        "",
        "PhD student",
        "mila",
        "CA",
        ["ai-safety"],
        False,
        True,
        True,
        False,
    ),
    (
        "omar-al-mansoori",
        "Omar Al Mansoori",
        "",
        "Assistant professor",
        "mbzuai",
        "AE",
        ["robotics-foundation-models"],
        False,
        False,
        True,
        True,
    ),
    (
        "seo-yeon-kim",
        "Seo-yeon Kim",
        "김서연",
        "Research engineer",
        "naver-cloud",
        "KR",
        ["efficient-ml"],
        True,
        False,
        True,
        True,
    ),
]


def seed_people() -> None:
    for order, (slug, name, name_ko, description) in enumerate(THEMES):
        Theme.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "name_ko": name_ko, "description": description, "ordering": order},
        )
    for slug, name, name_ko, short, country, city, kind in INSTITUTIONS:
        Institution.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "name_ko": name_ko,
                "short_name": short,
                "country": country,
                "city": city,
                "kind": kind,
                "partnership_status": Institution.PartnershipStatus.ACTIVE,
                "agreement_kind": "MoU",
                "partnership_start": dt.date(2024, 3, 1),
                "agreement_end": dt.date(2029, 2, 28),
                "description": f"{name} works with the hub on joint seminars and researcher exchanges.",
            },
        )
    institutions = {i.slug: i for i in Institution.objects.all()}
    themes = {t.slug: t for t in Theme.objects.all()}
    for (
        slug,
        name,
        name_ko,
        position,
        inst,
        country,
        theme_slugs,
        member,
        visiting,
        speaker,
        public,
    ) in RESEARCHERS:
        researcher, _ = Researcher.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "name_ko": name_ko,
                "position": position,
                "institution": institutions[inst],
                "country": country,
                "email": f"{slug}@researchers.example.org",
                "is_hub_member": member,
                "is_visiting": visiting,
                "is_speaker": speaker,
                "listed_publicly": public,
                "bio": f"{name} works on {', '.join(themes[t].name.lower() for t in theme_slugs)}.",
            },
        )
        researcher.themes.set([themes[t] for t in theme_slugs])

    user_model = get_user_model()
    staff, created = user_model.objects.get_or_create(
        username="staff", defaults={"email": DEMO_STAFF_EMAIL, "is_staff": True, "is_superuser": True}
    )
    if created:
        staff.set_password(DEMO_STAFF_PASSWORD)
        staff.save()
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=staff, email=DEMO_STAFF_EMAIL, defaults={"verified": True, "primary": True}
    )
