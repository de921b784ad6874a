"""
The virtual room's link and access details are private: only a confirmed virtual participant gets
them, through their own pages, mails and calendar. These tests read everything else the site
serves and look for them, and for one participant's personal links in another's pages and mails.
"""

import html
import re
from collections import deque
from urllib.parse import parse_qsl, urldefrag, urlencode, urlsplit

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from registration import services
from registration.emails import Kind, build_message
from registration.models import AttendanceMode, Registration
from tests.agenda.factories import (
    OrganisationFactory,
    SessionFactory,
    SessionSpeakerFactory,
    lima,
)
from tests.languages import LANGUAGES

from .factories import (
    AudienceCategoryFactory,
    RegistrationFactory,
    UserFactory,
    details,
    open_event,
)

pytestmark = pytest.mark.django_db

VIRTUAL, IN_PERSON = AttendanceMode.VIRTUAL, AttendanceMode.IN_PERSON
# Enough for every page of a small meeting in two languages and a few time zones, and a bound
# should a page ever link to an endless family of URLs.
MAX_PAGES = 200
# What a crawl of the public site does not follow: the admin is not public, static files are
# ours and carry no data, and the language switch is a POST form.
NOT_CRAWLED = ("/admin/", "/static/")
HREF = re.compile(r"""(?:href|src|action)=["']([^"']+)["']""")


@pytest.fixture
def event():
    event = open_event(in_person_places=5)
    event.virtual_access_details = "Meeting ID 812 3456 7890 · Passcode: 987654"
    event.save()
    event.organisers.add(OrganisationFactory(acronym="SGCAN"), OrganisationFactory(acronym="SELA"))
    opening = SessionFactory(event=event, starts_at=lima(9), ends_at=lima(9, 30))
    SessionSpeakerFactory(session=opening)
    SessionFactory(event=event, starts_at=lima(9, 30), ends_at=lima(11))
    return event


@pytest.fixture
def participants(event):
    """Two confirmed virtual participants and one in person, each with their own account."""
    category = AudienceCategoryFactory(event=event)
    people = {}
    for name, mode in (("ana", VIRTUAL), ("bruno", VIRTUAL), ("carla", IN_PERSON)):
        people[name] = RegistrationFactory(
            event=event,
            category=category,
            attendance_mode=mode,
            user=UserFactory(email=f"{name}@example.org"),
        )
    return people


def private_values(event):
    values = [event.virtual_join_url, event.virtual_access_details]
    # The passcode alone, in case a page reformats the details around it.
    values += [line.split(":")[-1].strip() for line in event.virtual_access_details.splitlines()]
    return values


def personal_secrets(registration):
    """What would let someone else in: the token, in any of the links built from it."""
    return [registration.personal_token]


def reverse_if_present(name, **kwargs):
    """None while another part of the site has not been written yet."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def public_seeds(event):
    """The public pages and calendars, in both languages, by their URL names."""
    seeds = []
    for language in LANGUAGES:
        with translation.override(language):
            named = [
                ("agenda:home", {}),
                ("agenda:event-detail", {"slug": event.slug}),
                ("agenda:event-agenda", {"event_slug": event.slug}),
                ("agenda:speaker-list", {"event_slug": event.slug}),
                ("agenda:event-calendar", {"event_slug": event.slug}),
                ("agenda:event-feed", {"event_slug": event.slug}),
                ("registration:privacy-notice", {}),
                ("registration:register", {"event_slug": event.slug}),
            ]
            for session in event.sessions.all():
                keys = {"event_slug": event.slug, "pk": session.pk}
                named += [("agenda:session-detail", keys), ("agenda:session-calendar", keys)]
            seeds += [reverse_if_present(name, **kwargs) for name, kwargs in named]
    return [url for url in seeds if url]


def crawlable(url):
    """The site-relative form of a link worth following, or None."""
    parts = urlsplit(urldefrag(url).url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return None
    if not parts.path.startswith("/") or parts.path.startswith(NOT_CRAWLED):
        return None
    # ?next= only says where to go after signing in: the page is the same without it.
    query = urlencode([pair for pair in parse_qsl(parts.query) if pair[0] != "next"])
    return f"{parts.path}?{query}" if query else parts.path


def crawl(client, seeds):
    """{url: response} for the seeds and every page of ours they link to, redirects followed."""
    seen, responses = set(), {}
    queue = deque(seeds)
    while queue and len(responses) < MAX_PAGES:
        url = crawlable(queue.popleft())
        if url is None or url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        responses[url] = response
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append(response["Location"])
        elif response.status_code == 200 and "html" in response.get("Content-Type", ""):
            queue.extend(html.unescape(link) for link in HREF.findall(response.content.decode()))
    assert len(responses) < MAX_PAGES, "the crawl did not finish: does a page link endlessly?"
    return responses


def test_no_public_page_or_calendar_reveals_the_virtual_room(client, event, participants):
    seeds = public_seeds(event)
    responses = crawl(client, seeds)

    # The crawl reached what it had to: every public page and calendar answered in both languages.
    for url in seeds:
        assert responses[url].status_code in (200, 302), url
    calendars = [url for url, response in responses.items() if url.endswith(".ics")]
    assert len(calendars) >= 2 * (2 + event.sessions.count())
    assert len(responses) > len(seeds), "the crawl followed no link"

    secrets = private_values(event) + [
        secret
        for registration in participants.values()
        for secret in personal_secrets(registration)
    ]
    for url, response in responses.items():
        # The matrix's Excel download is a zip, not text; its CSV twin is crawled and read too.
        body = response.content.decode(errors="replace")
        leaked = [secret for secret in secrets if secret in body]
        assert not leaked, f"{url} shows {leaked}"
        assert not response.has_header("Location") or not any(
            secret in response["Location"] for secret in secrets
        ), url


def test_public_pages_show_a_signed_in_participant_none_of_their_private_links(
    client, event, participants
):
    """Public pages are the same for everyone, so a cache may keep them: no one's links in them."""
    ana = participants["ana"]
    client.force_login(ana.user)
    agenda_pages = [url for url in public_seeds(event) if "/register/" not in url]
    for url in agenda_pages:
        body = client.get(url).content.decode()
        assert ana.personal_token not in body, url
        assert not any(value in body for value in private_values(event)), url


def personal_urls(registration):
    slug, token = registration.event.slug, registration.personal_token
    urls = []
    for language in LANGUAGES:
        with translation.override(language):
            urls += [
                reverse_if_present(name, event_slug=slug)
                for name in (
                    "registration:my-registration",
                    "registration:edit",
                    "registration:switch-mode",
                    "registration:cancel",
                    "registration:personal-calendar",
                )
            ]
            urls += [
                reverse_if_present("registration:export-data"),
                reverse_if_present("registration:personal-feed", token=token),
            ]
    return [url for url in urls if url]


@pytest.mark.parametrize("owner", ["ana", "bruno", "carla"])
def test_a_participants_pages_never_show_another_participants_links(
    client, event, participants, owner
):
    registration = participants[owner]
    others = [other for name, other in participants.items() if name != owner]
    client.force_login(registration.user)
    urls = personal_urls(registration)
    assert urls, "no personal page to check"
    my_page_shows_my_join_link = False
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for other in others:
            assert other.personal_token not in body, f"{url} shows {other.full_name}'s link"
        # The platform's own address stays behind the personal redirect, even for its owner.
        assert event.virtual_join_url not in body, url
        if "my-registration/" in url and url.endswith("my-registration/"):
            my_page_shows_my_join_link |= (
                reverse("registration:join", kwargs={"token": registration.personal_token}) in body
            )
    assert my_page_shows_my_join_link is (registration.attendance_mode == VIRTUAL)


@pytest.mark.parametrize("kind", list(Kind))
def test_a_participants_mails_never_carry_another_participants_links(event, participants, kind):
    for name, registration in participants.items():
        registration.status = (
            Registration.Status.CONFIRMED
            if kind in (Kind.CONFIRMED, Kind.PROMOTED, Kind.APPROVED, Kind.REMINDER)
            else registration.status
        )
        message = build_message(registration, kind)
        everything = "\n".join(
            [message.body, message.alternatives[0].content]
            + [attachment.content for attachment in message.attachments]
        )
        for other_name, other in participants.items():
            if other_name != name:
                assert other.personal_token not in everything
        assert event.virtual_join_url not in everything


def test_mails_from_the_real_workflow_carry_only_their_recipients_link(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    category = AudienceCategoryFactory(event=event)
    registrations = []
    for _ in range(3):
        # One request, one commit, one mail each, as on the site.
        with django_capture_on_commit_callbacks(execute=True):
            registrations.append(
                services.register(
                    event=event, user=UserFactory(), details=details(category, VIRTUAL)
                )
            )
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(registrations[0], by=registrations[0].user)

    assert [message.to[0] for message in mailoutbox] == [
        *(registration.email for registration in registrations),
        registrations[0].email,
    ]
    *confirmations, cancellation = mailoutbox
    for message, owner in zip(confirmations, registrations, strict=True):
        everything = message.body + message.alternatives[0].content
        assert owner.personal_token in everything
        assert not any(
            other.personal_token in everything for other in registrations if other != owner
        )
        assert event.virtual_join_url not in everything
    # A cancelled registration's link no longer opens anything, and its mail does not offer it.
    assert not any(
        registration.personal_token in cancellation.body for registration in registrations
    )
