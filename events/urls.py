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

# --- Series subscriptions (e-mail announcements) -------------------------------------------
from . import views_subscriptions  # noqa: E402 - kept with its patterns, appended as one block

urlpatterns += [
    path(
        "subscriptions/series/<slug:slug>/",
        views_subscriptions.series_subscribe,
        name="series_subscribe",
    ),
    path(
        "subscriptions/series/<slug:slug>/requested/",
        views_subscriptions.series_subscribe_requested,
        name="series_subscribe_requested",
    ),
    path(
        "subscriptions/confirm/<str:token>/",
        views_subscriptions.subscription_confirm,
        name="subscription_confirm",
    ),
    path(
        "subscriptions/unsubscribe/<str:token>/",
        views_subscriptions.subscription_unsubscribe,
        name="subscription_unsubscribe",
    ),
]
