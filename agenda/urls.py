from django.urls import path

from . import calendars, views

app_name = "agenda"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("events/<slug:slug>/", views.EventDetailView.as_view(), name="event-detail"),
    path("events/<slug:event_slug>/agenda/", views.AgendaView.as_view(), name="event-agenda"),
    path(
        "events/<slug:event_slug>/speakers/", views.SpeakerListView.as_view(), name="speaker-list"
    ),
    path(
        "events/<slug:event_slug>/sessions/<int:pk>/",
        views.SessionDetailView.as_view(),
        name="session-detail",
    ),
    path("events/<slug:event_slug>/calendar.ics", calendars.event_calendar, name="event-calendar"),
    path("events/<slug:event_slug>/feed.ics", calendars.event_feed, name="event-feed"),
    path(
        "events/<slug:event_slug>/sessions/<int:pk>/calendar.ics",
        calendars.session_calendar,
        name="session-calendar",
    ),
]
