from django.urls import path

from . import views

app_name = "researchers"
urlpatterns = [
    path("partners/", views.partner_list, name="partner_list"),
    path("partners/<slug:slug>/", views.partner_detail, name="partner_detail"),
    path("researchers/", views.researcher_list, name="researcher_list"),
    path("researchers/<slug:slug>/", views.researcher_detail, name="researcher_detail"),
    path("profile/", views.profile, name="profile"),
    path("profile/my-data.json", views.profile_export, name="profile_export"),
    path("profile/delete/", views.profile_delete, name="profile_delete"),
]
