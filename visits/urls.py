from django.urls import path

from . import views

app_name = "visits"
urlpatterns = [
    path("visits/", views.index, name="index"),
    path("visits/new/", views.visit_new, name="new"),
    path("visits/availability.json", views.availability_json, name="availability"),
    path("visits/here/", views.here, name="here"),
    path("visits/occupancy/", views.occupancy, name="occupancy"),
    path("visits/arrivals.ics", views.arrivals_feed, name="arrivals_feed"),
    path("visits/arrivals/token/", views.arrivals_token, name="arrivals_token"),
    path("visits/endorse/<str:token>/", views.endorse, name="endorse"),
    path("visits/<int:pk>/", views.visit_detail, name="detail"),
    path("visits/<int:pk>/withdraw/", views.visit_withdraw, name="withdraw"),
    path("visits/<int:pk>/extend/", views.visit_extend, name="extend"),
    path("visits/<int:pk>/letter/", views.visit_letter, name="letter"),
    path("visits/<int:pk>/letter.pdf", views.visit_letter_pdf, name="letter_pdf"),
    path("visits/<int:pk>/stay.ics", views.visit_ics, name="ics"),
]
