"""The person's projects for "My data" (hubsite/personal_data.py): their memberships and the
projects they lead, projects by their title."""

from hubsite.personal_data import Part, Section

from .models import Project, ProjectMember

SECTIONS = [
    Section(
        "memberships",
        Part(
            "projects.ProjectMember",
            fields=("id", "role", "created"),
            names={"project": lambda row: {"title": row.project.title, "slug": row.project.slug}},
        ),
        lambda person: (
            ProjectMember.objects.filter(researcher__user=person.user)
            .select_related("project")
            .order_by("pk")
        ),
    ),
    Section(
        "projects_led",
        Part(
            "projects.Project",
            fields=(
                "id",
                "title",
                "title_ko",
                "slug",
                "summary",
                "status",
                "start_date",
                "end_date",
                "is_public",
                "website",
                "repository_url",
                "created",
                "updated",
            ),
        ),
        lambda person: Project.objects.filter(lead__user=person.user).order_by("pk"),
    ),
]

WITHHELD = {
    "projects.ProjectMember": {"researcher": "the person themself"},
    "projects.Project": {"lead": "the person themself"},
}
