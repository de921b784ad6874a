"""
The public pages of an event: its presentation, agenda, speakers and sessions.

They are the same for every visitor except for the time zone times are read in, so they carry no
session, no CSRF token and no messages, and are kept in the cache per language and time zone until
the agenda changes (pagecache).
"""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve, reverse
from django.views.generic import DetailView, TemplateView

from pagecache import mark_public_page

from .calendars import feed_addresses
from .drawing import agenda_item_bodies
from .models import Event, SessionSpeaker, Speaker
from .timezones import QUERY_PARAMETER, TimeZoneVariant, region_start_times


class PublicPageMixin:
    """
    A page drawn once per language, time zone and state of the agenda, then served from the cache;
    a zone chosen through ?tz= is remembered in a cookie, so the next page keeps it.
    """

    page_variant = TimeZoneVariant

    def dispatch(self, request, *args, **kwargs):
        mark_public_page(request, variant=self.page_variant)
        return super().dispatch(request, *args, **kwargs)


def calendar_links(event):
    """The .ics download and the subscription feed, as webcal:// and as a plain web address."""
    feed = reverse("agenda:event-feed", kwargs={"event_slug": event.slug})
    return {
        "download_url": reverse("agenda:event-calendar", kwargs={"event_slug": event.slug}),
        **feed_addresses(feed),
    }


class EventPageMixin(PublicPageMixin):
    """A page under events/<event_slug>/: the published event, its calendars and time zones."""

    nav_section = None

    def get_event(self):
        if not hasattr(self, "event"):
            self.event = get_object_or_404(
                Event.objects.published(), slug=self.kwargs["event_slug"]
            )
        return self.event

    def get_context_data(self, **kwargs):
        event = self.get_event()
        return super().get_context_data(
            event=event,
            nav_section=self.nav_section,
            calendar=calendar_links(event),
            time_zone_parameter=QUERY_PARAMETER,
            **kwargs,
        )


class EventDetailView(PublicPageMixin, DetailView):
    template_name = "agenda/event_detail.html"
    context_object_name = "event"
    nav_section = "event"

    def get_queryset(self):
        return Event.objects.published().prefetch_related("organisers")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(nav_section=self.nav_section, **kwargs)
        event = self.object
        if event is not None:
            context.update(
                calendar=calendar_links(event),
                region_start_times=region_start_times(event.starts_at),
                time_zone_parameter=QUERY_PARAMETER,
            )
        return context


class HomeView(EventDetailView):
    """The featured event's page, or a friendly word while nothing is published."""

    nav_section = "home"

    def get_object(self, queryset=None):
        return self.get_queryset().featured()

    def get_template_names(self):
        return [self.template_name if self.object else "agenda/no_event.html"]


class AgendaView(EventPageMixin, TemplateView):
    template_name = "agenda/agenda.html"
    nav_section = "agenda"

    def get_context_data(self, **kwargs):
        event = self.get_event()
        # Through the event's related manager, each session already knows its event.
        sessions = list(event.sessions.all())
        return super().get_context_data(
            # Each session's entry as drawn before for this version of it (agenda/drawing.py): an
            # agenda of forty sessions costs little more to draw than one of ten.
            agenda_items=list(zip(sessions, agenda_item_bodies(event, sessions), strict=True)),
            **kwargs,
        )


class SpeakerListView(EventPageMixin, TemplateView):
    template_name = "agenda/speaker_list.html"
    nav_section = "speakers"

    def get_context_data(self, **kwargs):
        event = self.get_event()
        their_sessions = (
            SessionSpeaker.objects.filter(session__event=event)
            .select_related("session")
            .order_by("session__starts_at", "session__pk")
        )
        speakers = (
            Speaker.objects.filter(session_links__session__event=event)
            .distinct()
            .select_related("organisation")
            .prefetch_related(Prefetch("session_links", queryset=their_sessions))
        )
        return super().get_context_data(speakers=speakers, **kwargs)


class SessionDetailView(EventPageMixin, DetailView):
    template_name = "agenda/session_detail.html"
    context_object_name = "session"
    nav_section = "agenda"

    def get_queryset(self):
        return self.get_event().sessions.with_speakers()


# Longer than any address of ours: anything beyond it is not a page to go back to.
MAX_RETURN_PATH_LENGTH = 200


def return_path(request):
    """
    The public page the list of every time zone sends its choice back to (?next=), or None for
    the event's agenda. Only a page of ours, without its query: nothing a link could make up
    reaches the form's action, and the cache keeps one copy per page, not per made-up parameter.
    """
    path = request.GET.get("next", "")
    if not path.startswith("/") or path.startswith("//") or len(path) > MAX_RETURN_PATH_LENGTH:
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.namespace != "agenda" or match.url_name in TimeZoneListVariant.NOT_RETURNED_TO:
        return None
    return path


class TimeZoneListVariant(TimeZoneVariant):
    """The list of every zone varies in the visitor's zone and in the page it returns to."""

    # Calendars are files, and the list does not send the visitor back to itself.
    NOT_RETURNED_TO = frozenset(
        {"event-calendar", "event-feed", "session-calendar", "time-zone-list"}
    )

    @staticmethod
    def key(request):
        zone = TimeZoneVariant.key(request)
        if zone is None:
            return None
        return f"{zone}|{return_path(request) or ''}"


class TimeZoneListView(EventPageMixin, TemplateView):
    """
    Every zone of the tz database, grouped by continent and ocean: the pages offer the region's
    zones and a few others, and link here for the rest. Its form sends the same ?tz= choice to the
    page the visitor came from, so it works without JavaScript.
    """

    template_name = "agenda/time_zone_list.html"
    page_variant = TimeZoneListVariant

    def get_context_data(self, **kwargs):
        event = self.get_event()
        return super().get_context_data(
            return_to=return_path(self.request)
            or reverse("agenda:event-agenda", kwargs={"event_slug": event.slug}),
            **kwargs,
        )
