from django.urls import path, register_converter

from . import calendars, views


class CanonicalIdConverter:
    """
    A row's id written one way only: "7", never "07" or "0007". Each spelling would otherwise be a
    page of its own, and the public-page cache would keep every one an attacker makes up.
    """

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(int(value))


register_converter(CanonicalIdConverter, "id")

app_name = "agenda"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("events/", views.EventListView.as_view(), name="event-list"),
    path("events/<slug:slug>/", views.EventDetailView.as_view(), name="event-detail"),
    path("events/<slug:event_slug>/agenda/", views.AgendaView.as_view(), name="event-agenda"),
    path(
        "events/<slug:event_slug>/speakers/", views.SpeakerListView.as_view(), name="speaker-list"
    ),
    path(
        "events/<slug:event_slug>/sessions/<id:pk>/",
        views.SessionDetailView.as_view(),
        name="session-detail",
    ),
    path(
        "events/<slug:event_slug>/materials/<id:pk>/",
        views.open_material,
        name="material",
    ),
    path(
        "events/<slug:event_slug>/time-zones/",
        views.TimeZoneListView.as_view(),
        name="time-zone-list",
    ),
    path("events/<slug:event_slug>/calendar.ics", calendars.event_calendar, name="event-calendar"),
    path("events/<slug:event_slug>/feed.ics", calendars.event_feed, name="event-feed"),
    path(
        "events/<slug:event_slug>/sessions/<id:pk>/calendar.ics",
        calendars.session_calendar,
        name="session-calendar",
    ),
]
