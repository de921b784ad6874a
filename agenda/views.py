"""
The public pages of an event: its presentation, agenda, speakers and sessions.

They are the same for every visitor except for the time zone times are read in, so they carry no
session, no CSRF token and no messages, and are kept in the cache per language and time zone until
the agenda changes (pagecache).
"""

from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, TemplateView

from pagecache import mark_public_page

from .calendars import feed_addresses
from .drawing import agenda_item_bodies, event_sessions, published_event_or_404
from .filters import EventFilterForm, FilteredPublicPageMixin
from .models import Event, Material, Roundtable, SessionSpeaker, Speaker
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
            self.event = published_event_or_404(self.request, self.kwargs["event_slug"])
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
        return Event.objects.published().select_related("roundtable").prefetch_related("organisers")

    def get_object(self, queryset=None):
        return published_event_or_404(self.request, self.kwargs[self.slug_url_kwarg])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(nav_section=self.nav_section, **kwargs)
        event = self.object
        if event is not None:
            # Once for the event kept by the process (drawing.published_event), then reused.
            prefetch_related_objects([event], "organisers")
            context.update(
                calendar=calendar_links(event),
                region_start_times=region_start_times(event.starts_at),
                time_zone_parameter=QUERY_PARAMETER,
                materials=Material.objects.for_meeting_page(event),
            )
        return context


class HomeView(EventDetailView):
    """
    The featured event's page, or a friendly word while nothing is published, followed by the
    forum's roundtables, each with its meetings.
    """

    template_name = "agenda/home.html"
    nav_section = "home"

    def get_object(self, queryset=None):
        return self.get_queryset().featured()

    def get_context_data(self, **kwargs):
        return super().get_context_data(roundtables=Roundtable.objects.with_meetings(), **kwargs)

    def get_template_names(self):
        return [self.template_name if self.object else "agenda/no_event.html"]


class AgendaView(EventPageMixin, TemplateView):
    template_name = "agenda/agenda.html"
    nav_section = "agenda"

    def get_context_data(self, **kwargs):
        event = self.get_event()
        sessions = event_sessions(self.request, event)
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
        return self.get_event().sessions.with_speakers().with_materials()


# Materials ---------------------------------------------------------------------------------------


@require_safe
def open_material(request, event_slug, pk):
    """
    A material's file, or a participants-only link, after checking at every request who may have
    it. Never a public page: what it answers depends on who asks, so nothing here is cached.

    Files are always sent as attachments, PDF included: opened inside the site, a PDF uploaded by
    anyone with admin access would run in the site's origin under its CSP, and browsers' viewers
    differ in how they treat both; saved and opened in the person's own reader, it is just a file.
    """
    material = get_object_or_404(
        Material.objects.select_related("event").filter(event__is_published=True),
        event__slug=event_slug,
        pk=pk,
    )
    if not material.is_open_to(request.user):
        if request.user.is_authenticated:
            response = render(
                request, "agenda/material_refused.html", {"material": material}, status=403
            )
        else:
            # From a link on the meeting's page: sign in, then come back to the download.
            response = redirect_to_login(request.get_full_path())
    elif not material.is_file:
        # Pages link public links directly; participants-only ones come here to be checked.
        response = HttpResponseRedirect(material.url)
    else:
        if material.document_format is None:
            # Saved without the admin's check (a script): never served under a guessed type.
            raise Http404
        try:
            handle = material.file.storage.open(material.file.name, "rb")
        except FileNotFoundError:
            raise Http404 from None
        # The content type of the format its content showed on upload, never the browser's claim.
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=material.download_name,
            content_type=material.document_format.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


class EventListView(FilteredPublicPageMixin, TemplateView):
    """Every published meeting, upcoming and past, newest first; ?roundtable= narrows the list."""

    template_name = "agenda/event_list.html"
    filter_form_class = EventFilterForm
    nav_section = "events"

    def get_context_data(self, **kwargs):
        events = Event.objects.published().select_related("roundtable").newest_first()
        roundtable = self.filters().get("roundtable")
        if roundtable is not None:
            events = events.filter(roundtable=roundtable)
        # Both lists against one instant, so a meeting ending meanwhile is not in both or neither.
        now = timezone.now()
        return super().get_context_data(
            form=self.filter_form,
            roundtable=roundtable,
            upcoming_events=events.upcoming(now),
            past_events=events.past(now),
            nav_section=self.nav_section,
            **kwargs,
        )


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
        {"event-calendar", "event-feed", "session-calendar", "time-zone-list", "material"}
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
