from django.urls import path

from . import views, views_feeds, views_registration

app_name = "events"
urlpatterns = [
    path("", views.home, name="home"),
]

# --- Registration and calendar feeds ---
urlpatterns += [
    path("events/calendar.ics", views_feeds.events_calendar, name="calendar_feed"),
    path("events/<slug:slug>/event.ics", views_feeds.event_calendar, name="event_calendar"),
    path("series/<slug:slug>/calendar.ics", views_feeds.series_calendar, name="series_calendar"),
    path("calendar/<str:token>.ics", views_feeds.personal_calendar, name="personal_calendar"),
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
]
