from django.urls import path

from . import views, views_feeds, views_registration, views_subscriptions
from .feeds import NewEventsAtomFeed

app_name = "events"
urlpatterns = [
    # Public pages
    path("", views.home, name="home"),
    path("events/", views.event_list, name="list"),
    path("events/feed.atom", NewEventsAtomFeed(), name="feed_atom"),
    path("events/<slug:slug>/", views.event_detail, name="detail"),
    path("series/", views.series_list, name="series_list"),
    path("series/<slug:slug>/", views.series_detail, name="series_detail"),
    # Calendar feeds
    path("events/calendar.ics", views_feeds.events_calendar, name="calendar_feed"),
    path("events/<slug:slug>/event.ics", views_feeds.event_calendar, name="event_calendar"),
    path("series/<slug:slug>/calendar.ics", views_feeds.series_calendar, name="series_calendar"),
    path("calendar/<str:token>.ics", views_feeds.personal_calendar, name="personal_calendar"),
    # Registration
    path("events/<slug:slug>/register/", views_registration.register, name="register"),
    path("registrations/confirm/<str:token>/", views_registration.confirm, name="registration_confirm"),
    path("registrations/cancel/<str:token>/", views_registration.cancel, name="registration_cancel"),
    path("registrations/join/<str:token>/", views_registration.join, name="registration_join"),
    path("my/seminars/", views_registration.my_seminars, name="my_seminars"),
    path(
        "my/seminars/<int:pk>/cancel/",
        views_registration.my_registration_cancel,
        name="my_registration_cancel",
    ),
    path(
        "my/calendar/replace/", views_registration.personal_calendar_replace, name="personal_calendar_replace"
    ),
    # Series announcements by e-mail (double opt-in)
    path("subscriptions/series/<slug:slug>/", views_subscriptions.series_subscribe, name="series_subscribe"),
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
