from django.urls import path

from . import views
from .feeds import NewEventsAtomFeed

app_name = "events"
urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.event_list, name="list"),
    path("events/feed.atom", NewEventsAtomFeed(), name="feed_atom"),
    path("events/<slug:slug>/", views.event_detail, name="detail"),
    path("series/", views.series_list, name="series_list"),
    path("series/<slug:slug>/", views.series_detail, name="series_detail"),
]
