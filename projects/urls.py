from django.urls import path

from . import views

app_name = "projects"
urlpatterns = [
    path("projects/", views.project_list, name="list"),
    path("projects/<slug:slug>/", views.project_detail, name="detail"),
    path("projects/<slug:slug>/edit/", views.project_edit, name="edit"),
    path("projects/<slug:slug>/edit/members/", views.member_list, name="members"),
    path("projects/<slug:slug>/edit/members/<int:pk>/", views.member_change, name="member_change"),
    path("projects/<slug:slug>/edit/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("projects/<slug:slug>/edit/outputs/", views.output_list, name="outputs"),
    path("projects/<slug:slug>/edit/outputs/<int:pk>/", views.output_change, name="output_change"),
    path("projects/<slug:slug>/edit/outputs/<int:pk>/delete/", views.output_delete, name="output_delete"),
    path("themes/", views.theme_list, name="theme_list"),
    path("themes/<slug:slug>/", views.theme_detail, name="theme_detail"),
]
