from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("report/", views.report, name="report"),
    path("report/<slug:table>.csv", views.report_csv, name="csv"),
]
