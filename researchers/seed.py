"""Demo people, partners and themes for `manage.py seed_demo`. Idempotent: keyed by slug."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

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
    # slug, name, Korean name, short name, country, city, kind,
    # partnership (first month, month after the agreement's last day) in months from this month
    ("kaist", "KAIST", "한국과학기술원", "KAIST", "KR", "Daejeon", "university", (-38, 34)),
    (
        "mit",
        "Massachusetts Institute of Technology",
        "매사추세츠 공과대학교",
        "MIT",
        "US",
        "Cambridge, MA",
        "university",
        (-26, 34),
    ),
    (
        "mila",
        "Mila - Quebec AI Institute",
        "밀라 퀘벡 인공지능 연구소",
        "Mila",
        "CA",
        "Montréal",
        "institute",
        (-14, 46),
    ),
    ("inria", "Inria", "프랑스 국립 디지털 과학기술 연구소", "Inria", "FR", "Paris", "institute", (-30, 30)),
    (
        "mbzuai",
        "Mohamed bin Zayed University of Artificial Intelligence",
        "모하메드 빈 자이드 인공지능대학교",
        "MBZUAI",
        "AE",
        "Abu Dhabi",
        "university",
        (-10, 26),
    ),
    # The agreement with NAVER Cloud ends within three months: staff see "ends soon" and renew it.
    ("naver-cloud", "NAVER Cloud", "네이버클라우드", "NAVER", "KR", "Seongnam", "company", (-20, 3)),
]

RESEARCHERS = [
    # slug, name, name_ko, position, institution, country, themes, member, visiting, speaker, public
    # Hub members host stays and lead projects; visiting researchers are those whose stay at the hub
    # is approved or under way (visits/seed.py); speakers give a demo talk (events/seed.py).
    (
        "ji-won-park",
        "Ji-won Park",
        "박지원",
        "Professor and director of the hub",
        "kaist",
        "KR",
        ["neural-scaling-laws", "multilingual-nlp", "ai-safety"],
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
        "사라 첸",
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
        "루이 마르탱",
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
        "아멜리 트랑블레",
        "PhD student",
        "mila",
        "CA",
        ["ai-safety", "multilingual-nlp"],
        False,
        True,
        False,
        False,
    ),
    (
        "omar-al-mansoori",
        "Omar Al Mansoori",
        "오마르 알 만수리",
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
        ["efficient-ml", "multilingual-nlp"],
        True,
        False,
        True,
        True,
    ),
]


def in_a_sentence(name: str) -> str:
    """A theme's name inside a sentence: "neural scaling laws", but "AI safety and alignment"."""
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def in_words(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 2 else items)


def demo_month(today: dt.date, months: int) -> dt.date:
    """The first day of the month `months` from today's month: the demo's dates are laid out around
    the day it is seeded, so nothing in it is dated impossibly relative to "today"."""
    index = today.year * 12 + today.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def seed_people() -> None:
    for order, (slug, name, name_ko, description) in enumerate(THEMES):
        Theme.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "name_ko": name_ko, "description": description, "ordering": order},
        )
    today = timezone.localdate()
    for slug, name, name_ko, short, country, city, kind, (first, after) in INSTITUTIONS:
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
                "partnership_start": demo_month(today, first),
                "agreement_end": demo_month(today, after) - dt.timedelta(days=1),
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
                "bio": f"{name} works on {in_words([in_a_sentence(themes[t].name) for t in theme_slugs])}.",
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
