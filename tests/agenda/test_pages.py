import re
from html import unescape as html_unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from django.views.defaults import server_error

from agenda.models import Session, SessionSpeaker, Speaker
from agenda.timezones import COOKIE_NAME, available_zone_names
from tests.languages import LANGUAGES, translated, url

from .factories import (
    EventFactory,
    OrganisationFactory,
    SessionFactory,
    SessionSpeakerFactory,
    SpeakerFactory,
    lima,
)

pytestmark = pytest.mark.django_db

START_UTC = "2024-08-15T14:00:00Z"


@pytest.fixture
def meeting():
    sgcan = OrganisationFactory(
        name_es="Secretaría General de la Comunidad Andina",
        name_en="General Secretariat of the Andean Community",
        acronym="SGCAN",
    )
    sela = OrganisationFactory(
        name_es="Sistema Económico Latinoamericano y del Caribe",
        name_en="Latin American and Caribbean Economic System",
        acronym="SELA",
        country="VE",
    )
    caf = OrganisationFactory(
        name_es="CAF – Banco de Desarrollo de América Latina",
        name_en="CAF – Development Bank of Latin America",
        acronym="CAF",
    )
    event = EventFactory(
        slug="cooperacion-transfronteriza",
        title_es="Cooperación transfronteriza e infraestructura",
        title_en="Cross-border cooperation and infrastructure",
        general_objective_es="Promover un espacio de diálogo.",
        general_objective_en="To promote a space for dialogue.",
        general_objective_pt_br="Promover um espaço de diálogo.",
        general_objective_fr="Promouvoir un espace de dialogue.",
        specific_objectives_es="Identificar puntos de interés común.\nContribuir a la matriz.",
        specific_objectives_en="To identify points of common interest.\nTo contribute to the matrix.",
        target_audience_es="Organismos de integración regional.",
        target_audience_en="Regional integration organisations.",
    )
    event.organisers.set([sgcan, sela])
    gutierrez = SpeakerFactory(
        honorific_es="Embajador",
        honorific_en="Ambassador",
        name="Gonzalo Gutiérrez",
        position_es="Secretario General de la Comunidad Andina",
        position_en="Secretary General of the Andean Community",
        organisation=sgcan,
        bio_es="Diplomático peruano.",
        bio_en="Peruvian diplomat.",
    )
    olivares = SpeakerFactory(
        name="Hely Olivares",
        position_es="Ejecutivo Senior de Integración Regional",
        position_en="Senior Executive of Regional Integration",
        organisation=caf,
        confirmation_note_es="confirmado por correo",
        confirmation_note_en="confirmed by e-mail",
    )
    opening = SessionFactory(
        event=event,
        kind=Session.Kind.OPENING,
        title_es="Apertura",
        title_en="Opening",
        starts_at=lima(9),
        ends_at=lima(9, 15),
    )
    SessionSpeakerFactory(session=opening, speaker=gutierrez)
    intervention = SessionFactory(
        event=event,
        kind=Session.Kind.SPECIALIST_INTERVENTION,
        title_es="Tendencias internacionales en cooperación transfronteriza",
        title_en="International trends in cross-border cooperation",
        topics_es="Tendencias internacionales\nBuenas prácticas",
        topics_en="International trends\nBest practices",
        topics_pt_br="Tendências internacionais\nBoas práticas",
        topics_fr="Tendances internationales\nBonnes pratiques",
        starts_at=lima(9, 15),
        ends_at=lima(9, 45),
    )
    SessionSpeakerFactory(session=intervention, speaker=olivares)
    SessionFactory(
        event=event,
        kind=Session.Kind.DISCUSSION,
        title_es="Consideraciones y complementos",
        title_en="Considerations and complements",
        participants_note_es="Secretarios generales de los organismos de integración",
        participants_note_en="Secretaries General of the integration bodies",
        speakers_to_be_confirmed=True,
        starts_at=lima(10, 40),
        ends_at=lima(11, 30),
    )
    return event


def session_titled(event, title_en):
    return event.sessions.get(title_en=title_en)


# Each page in both languages.


@pytest.mark.parametrize("language", LANGUAGES)
def test_home_page_presents_the_featured_event_in_the_visitors_language(client, meeting, language):
    response = client.get(url(language, "agenda:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    with translation.override(language):
        assert meeting.title in html
        assert meeting.venue_name in html
        assert meeting.virtual_platform_name in html
        assert meeting.general_objective in html
        assert meeting.specific_objectives_list[0] in html
        assert meeting.target_audience in html
        for organisation in meeting.organisers.all():
            assert organisation.name in html
    assert {
        "es": "Promover un espacio de diálogo.",
        "en": "To promote a space",
        "pt-br": "Promover um espaço de diálogo.",
        "fr": "Promouvoir un espace de dialogue.",
    }[language] in html
    assert f'<time datetime="{START_UTC}">09:00</time>' in html
    assert url(language, "agenda:event-agenda", event_slug=meeting.slug) in html
    assert url(language, "agenda:speaker-list", event_slug=meeting.slug) in html
    assert url(language, "agenda:event-calendar", event_slug=meeting.slug) in html


def test_home_page_without_a_published_event_says_so_kindly(client):
    EventFactory(is_published=False)
    response = client.get(url("en", "agenda:home"))
    assert response.status_code == 200
    assert translated("en", "No meeting published yet") in response.content.decode()


def test_event_page_offers_the_calendar_download_subscription_and_web_address(
    before_the_meeting, client, meeting
):
    response = client.get(url("en", "agenda:event-detail", slug=meeting.slug))
    assert response.status_code == 200
    html = response.content.decode()
    feed = url("en", "agenda:event-feed", event_slug=meeting.slug)
    assert f'href="webcal://testserver{feed}"' in html
    assert f'href="http://testserver{feed}"' in html
    assert f'href="{url("en", "agenda:event-calendar", event_slug=meeting.slug)}"' in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_agenda_lists_sessions_in_order_with_speakers_in_the_visitors_language(
    client, meeting, language
):
    response = client.get(url(language, "agenda:event-agenda", event_slug=meeting.slug))
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override(language):
        titles = [session.title for session in meeting.sessions.order_by("starts_at")]
        gutierrez = Speaker.objects.get(name="Gonzalo Gutiérrez")
        expected_speaker = f"{gutierrez.honorific} Gonzalo Gutiérrez"
        expected_position = gutierrez.position
        participants = session_titled(meeting, "Considerations and complements").participants_note
        kind = Session.Kind.SPECIALIST_INTERVENTION.label
    positions = [html.index(title) for title in titles]
    assert positions == sorted(positions)
    assert expected_speaker in html
    assert expected_position in html
    assert '<abbr title="' in html and ">CAF</abbr>" in html
    assert participants in html
    assert escape(str(kind)) in html
    assert {
        "es": "Buenas prácticas",
        "en": "Best practices",
        "pt-br": "Boas práticas",
        "fr": "Bonnes pratiques",
    }[language] in html
    assert translated(language, "To be confirmed") in html


def test_agenda_marks_to_be_confirmed_only_where_speakers_are_unconfirmed(client, meeting):
    response = client.get(url("en", "agenda:event-agenda", event_slug=meeting.slug))
    items = re.findall(
        r'<li class="agenda-item.*?</li>\s*(?=<li class="agenda-item|</ol>)',
        response.content.decode(),
        re.S,
    )
    marked = [item for item in items if translated("en", "To be confirmed") in item]
    assert len(items) == 3
    assert len(marked) == 1
    assert "Considerations and complements" in marked[0]


def test_agenda_links_each_session_page_and_its_calendar(client, meeting):
    html = client.get(url("en", "agenda:event-agenda", event_slug=meeting.slug)).content.decode()
    for session in meeting.sessions.all():
        assert url("en", "agenda:session-detail", event_slug=meeting.slug, pk=session.pk) in html
        assert url("en", "agenda:session-calendar", event_slug=meeting.slug, pk=session.pk) in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_speakers_page_shows_each_speaker_with_their_sessions(client, meeting, language):
    response = client.get(url(language, "agenda:speaker-list", event_slug=meeting.slug))
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override(language):
        gutierrez = Speaker.objects.get(name="Gonzalo Gutiérrez")
        olivares = Speaker.objects.get(name="Hely Olivares")
        assert gutierrez.display_name in html
        assert gutierrez.position in html
        assert gutierrez.bio in html
        assert gutierrez.organisation.name in html
        assert olivares.confirmation_note in html
        assert session_titled(meeting, "Opening").title in html
        assert (
            session_titled(meeting, "International trends in cross-border cooperation").title
            in html
        )
    assert translated(language, "Confirmed") in html


def test_speakers_page_lists_only_the_events_speakers(client, meeting):
    other_session = SessionFactory(event=EventFactory())
    SessionSpeakerFactory(session=other_session, speaker=SpeakerFactory(name="Someone Else"))
    html = client.get(url("en", "agenda:speaker-list", event_slug=meeting.slug)).content.decode()
    assert "Someone Else" not in html
    assert "Hely Olivares" in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_session_page_shows_the_session_in_full(client, meeting, language):
    session = session_titled(meeting, "International trends in cross-border cooperation")
    response = client.get(
        url(language, "agenda:session-detail", event_slug=meeting.slug, pk=session.pk)
    )
    assert response.status_code == 200
    html = response.content.decode()
    with translation.override(language):
        assert session.title in html
        for topic in session.topics_list:
            assert topic in html
        assert meeting.venue_name in html
    assert "Hely Olivares" in html
    assert '<time datetime="2024-08-15T14:15:00Z">09:15</time>' in html
    assert url(language, "agenda:session-calendar", event_slug=meeting.slug, pk=session.pk) in html


def test_session_page_of_a_discussion_to_be_confirmed_says_so(client, meeting):
    session = session_titled(meeting, "Considerations and complements")
    html = client.get(
        url("en", "agenda:session-detail", event_slug=meeting.slug, pk=session.pk)
    ).content.decode()
    assert translated("en", "To be confirmed") in html
    assert "Secretaries General of the integration bodies" in html


def test_private_join_details_never_reach_a_public_page(client, meeting):
    session = meeting.sessions.first()
    for page in public_pages(meeting, session):
        html = client.get(page).content.decode()
        assert meeting.virtual_join_url not in html
        assert meeting.virtual_access_details not in html


# Time zones.


@pytest.mark.parametrize(
    ("zone", "local_start"),
    [
        ("America/Santiago", "10:00"),
        ("America/Mexico_City", "08:00"),
        ("America/Argentina/Buenos_Aires", "11:00"),
        ("America/Caracas", "10:00"),
        ("Europe/Madrid", "16:00"),
    ],
)
def test_agenda_shows_times_in_the_chosen_zone_with_lima_time_beside(
    client, meeting, zone, local_start
):
    page = url("en", "agenda:event-agenda", event_slug=meeting.slug)
    html = client.get(page, {"tz": zone}).content.decode()
    assert f'<time datetime="{START_UTC}">{local_start}</time>' in html
    assert "(09:00–09:15 Lima time)" in html
    assert f'<option value="{zone}" selected>' in html


def test_agenda_in_lima_time_shows_each_time_once(client, meeting):
    page = url("en", "agenda:event-agenda", event_slug=meeting.slug)
    html = client.get(page, {"tz": "America/Lima"}).content.decode()
    assert f'<time datetime="{START_UTC}">09:00</time>' in html
    assert 'class="event-time"' not in html


def test_without_a_choice_times_are_in_the_events_own_zone(client, meeting):
    html = client.get(url("en", "agenda:event-agenda", event_slug=meeting.slug)).content.decode()
    assert f'<time datetime="{START_UTC}">09:00</time>' in html
    assert '<option value="America/Lima" selected>' in html


def test_a_zone_across_the_date_line_shows_the_day_as_well(client, meeting):
    page = url("en", "agenda:event-agenda", event_slug=meeting.slug)
    html = client.get(page, {"tz": "Pacific/Auckland"}).content.decode()
    assert f'<time datetime="{START_UTC}">August 16, 02:00</time>' in html


def test_home_page_follows_the_chosen_zone(client, meeting):
    html = client.get(url("es", "agenda:home"), {"tz": "America/Santiago"}).content.decode()
    assert f'<time datetime="{START_UTC}">10:00</time>' in html
    assert '<time datetime="2024-08-15T18:00:00Z">14:00</time>' in html


def test_shared_link_sets_the_cookie_and_later_pages_follow_it(client, meeting):
    agenda = url("en", "agenda:event-agenda", event_slug=meeting.slug)
    first = client.get(agenda, {"tz": "America/Santiago"})
    assert first.cookies[COOKIE_NAME].value == "America/Santiago"
    # The shared link alone decides the page: it can be cached without the cookie.
    assert "Cookie" not in first.get("Vary", "")

    later = client.get(url("en", "agenda:speaker-list", event_slug=meeting.slug))
    assert '<time datetime="2024-08-15T14:00:00Z">10:00</time>' in later.content.decode()
    assert "Cookie" in later["Vary"]
    assert COOKIE_NAME not in later.cookies


def test_shared_link_wins_over_the_remembered_zone(client, meeting):
    client.cookies[COOKIE_NAME] = "America/Santiago"
    page = url("en", "agenda:event-agenda", event_slug=meeting.slug)
    html = client.get(page, {"tz": "America/Mexico_City"}).content.decode()
    assert f'<time datetime="{START_UTC}">08:00</time>' in html


def test_unknown_zone_in_the_link_gets_a_message_and_lima_times(client, meeting):
    client.cookies[COOKIE_NAME] = "America/Santiago"
    page = url("en", "agenda:event-agenda", event_slug=meeting.slug)
    response = client.get(page, {"tz": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "“Mars/Olympus_Mons” is not a time zone we know" in html
    assert 'role="alert"' in html
    assert f'<time datetime="{START_UTC}">09:00</time>' in html
    assert COOKIE_NAME not in response.cookies


def test_unknown_zone_message_is_in_the_visitors_language(client, meeting):
    page = url("es", "agenda:event-agenda", event_slug=meeting.slug)
    html = client.get(page, {"tz": "Mars/Olympus_Mons"}).content.decode()
    with translation.override("es"):
        expected = gettext(
            "“%(requested)s” is not a time zone we know, so times are shown in %(city)s time, "
            "where the meeting takes place. Choose your time zone from the list."
        ) % {"requested": "Mars/Olympus_Mons", "city": "Lima"}
    assert expected in html


def test_a_hostile_zone_in_the_link_is_shown_escaped(client, meeting):
    page = url("en", "agenda:event-agenda", event_slug=meeting.slug)
    html = client.get(page, {"tz": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)" in html


def test_a_stale_cookie_is_ignored(client, meeting):
    client.cookies[COOKIE_NAME] = "Nowhere/Gone"
    response = client.get(url("en", "agenda:event-agenda", event_slug=meeting.slug))
    assert response.status_code == 200
    assert f'<time datetime="{START_UTC}">09:00</time>' in response.content.decode()


def test_time_zone_selector_lists_the_region_then_the_audiences_other_zones(client, meeting):
    html = client.get(url("en", "agenda:event-agenda", event_slug=meeting.slug)).content.decode()
    assert 'method="get"' in html
    assert html.index('value="America/Mexico_City"') < html.index('value="America/Santiago"')
    assert html.index('value="America/Argentina/Buenos_Aires"') < html.index(
        'value="Europe/Madrid"'
    )
    assert "Santiago, Chile (UTC\N{MINUS SIGN}4)" in html
    assert 'value="America/New_York"' in html and 'value="UTC"' in html
    # Every other zone is one link away, not in every page.
    assert 'value="Africa/Abidjan"' not in html


def test_a_zone_chosen_from_the_full_list_stays_selected_on_every_page(client, meeting):
    html = client.get(
        url("en", "agenda:event-agenda", event_slug=meeting.slug), {"tz": "Asia/Tokyo"}
    ).content.decode()
    assert '<option value="Asia/Tokyo" selected>Asia/Tokyo (UTC+9)</option>' in html


def full_list_link(html):
    return html_unescape(re.search(r'<a href="([^"]*/time-zones/[^"]*)"', html).group(1))


def test_every_other_zone_is_one_step_away_and_sends_the_choice_back(client, meeting):
    session = meeting.sessions.first()
    session_page = url("en", "agenda:session-detail", event_slug=meeting.slug, pk=session.pk)
    link = full_list_link(client.get(session_page).content.decode())
    assert link == (
        url("en", "agenda:time-zone-list", event_slug=meeting.slug) + f"?next={session_page}"
    )

    html = client.get(link).content.decode()

    # The form sends the same ?tz= choice back to the page the visitor came from.
    assert re.search(rf'<form method="get" action="{session_page}"', html)
    assert 'name="tz"' in html
    names = re.findall(r'<option value="([^"]+)"', html)
    assert set(names) == available_zone_names() - {"Factory", "localtime"}
    assert len(names) == len(set(names))
    # The region first, then each continent and ocean under its own heading.
    assert names.index("America/Argentina/Buenos_Aires") < names.index("Africa/Abidjan")
    assert '<optgroup label="Europe"><option value="Europe/Amsterdam">Amsterdam (UTC+2)' in html
    assert '<option value="Asia/Tokyo">Tokyo (UTC+9)</option>' in html


def test_the_full_list_keeps_the_visitors_zone_selected(client, meeting):
    client.cookies[COOKIE_NAME] = "Asia/Tokyo"
    html = client.get(url("en", "agenda:time-zone-list", event_slug=meeting.slug)).content.decode()
    assert '<option value="Asia/Tokyo" selected>Tokyo (UTC+9)</option>' in html


@pytest.mark.parametrize(
    "next_path",
    [
        "",
        "https://elsewhere.example/",
        "//elsewhere.example/",
        "/en/no-such-page/",
        "/en/events/cooperacion-transfronteriza/calendar.ics",
        "/en/events/cooperacion-transfronteriza/time-zones/",
        "/en/" + "x" * 300,
    ],
)
def test_the_full_list_sends_anything_but_a_page_of_ours_back_to_the_agenda(
    client, meeting, next_path
):
    html = client.get(
        url("en", "agenda:time-zone-list", event_slug=meeting.slug), {"next": next_path}
    ).content.decode()
    agenda = url("en", "agenda:event-agenda", event_slug=meeting.slug)
    assert f'<form method="get" action="{agenda}"' in html


def test_the_full_list_is_cached_once_per_page_it_returns_to(client, meeting):
    page = url("en", "agenda:time-zone-list", event_slug=meeting.slug)
    agenda = url("en", "agenda:event-agenda", event_slug=meeting.slug)
    speakers = url("en", "agenda:speaker-list", event_slug=meeting.slug)
    client.get(page, {"next": agenda})
    client.get(page, {"next": speakers})
    with CaptureQueriesContext(connection) as queries:
        to_agenda = client.get(page, {"next": agenda, "utm_source": "x"}).content.decode()
        to_speakers = client.get(page, {"next": speakers}).content.decode()
    assert len(queries) == 0
    assert f'action="{agenda}"' in to_agenda
    assert f'action="{speakers}"' in to_speakers


def region_row(html, offset_label):
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    return next(row for row in rows if f'<td class="text-nowrap">{offset_label}</td>' in row)


@pytest.mark.parametrize("language", LANGUAGES)
def test_region_table_groups_countries_by_their_offset_that_day(client, meeting, language):
    html = client.get(url(language, "agenda:event-detail", slug=meeting.slug)).content.decode()
    minus_4 = region_row(html, "UTC\N{MINUS SIGN}4")
    minus_5 = region_row(html, "UTC\N{MINUS SIGN}5")
    minus_6 = region_row(html, "UTC\N{MINUS SIGN}6")
    assert ">10:00</time>" in minus_4
    chile, colombia = {
        "es": ("Chile", "Colombia"),
        "en": ("Chile", "Colombia"),
        "pt-br": ("Chile", "Colômbia"),
        "fr": ("Chili", "Colombie"),
    }[language]
    assert chile in minus_4 and "Venezuela" in minus_4
    assert ">09:00</time>" in minus_5
    assert colombia in minus_5 and "Panam" in minus_5
    assert {"es": "Perú", "en": "Peru", "pt-br": "Peru", "fr": "Pérou"}[language] in minus_5
    assert ">08:00</time>" in minus_6
    assert {"es": "México", "en": "Mexico", "pt-br": "México", "fr": "Mexique"}[language] in minus_6
    assert chile not in minus_5


def test_home_page_also_shows_the_region_table(client, meeting):
    html = client.get(url("en", "agenda:home")).content.decode()
    assert "Venezuela" in region_row(html, "UTC\N{MINUS SIGN}4")


# Language switch, state and errors.


def test_language_switch_links_to_the_same_page_in_the_other_language(client, meeting):
    page = url("es", "agenda:event-agenda", event_slug=meeting.slug)
    html = client.get(f"{page}?tz=America/Santiago").content.decode()
    english = url("en", "agenda:event-agenda", event_slug=meeting.slug)
    assert f'<a href="{english}?tz=America/Santiago" hreflang="en" lang="en">English</a>' in html
    assert '<span aria-current="true" lang="es">Español</span>' in html


def test_language_switch_is_on_every_page(client, meeting):
    session = meeting.sessions.first()
    for page in public_pages(meeting, session):
        html = client.get(page).content.decode()
        assert 'hreflang="en" lang="en">English</a>' in html


def public_pages(event, session):
    return [
        url("es", "agenda:home"),
        url("es", "agenda:event-detail", slug=event.slug),
        url("es", "agenda:event-agenda", event_slug=event.slug),
        url("es", "agenda:speaker-list", event_slug=event.slug),
        url("es", "agenda:session-detail", event_slug=event.slug, pk=session.pk),
    ]


def test_public_pages_carry_no_csrf_token_nor_session(client, meeting):
    session = meeting.sessions.first()
    for page in public_pages(meeting, session):
        response = client.get(page, {"tz": "America/Bogota"})
        assert response.status_code == 200
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert set(response.cookies) == {COOKIE_NAME}
        assert "Cookie" not in response.get("Vary", "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_event_is_a_translated_not_found_page(client, language):
    response = client.get(url(language, "agenda:event-agenda", event_slug="no-such-meeting"))
    assert response.status_code == 404
    html = response.content.decode()
    assert translated(language, "Page not found") in html
    assert f'<html lang="{language}">' in html


def test_every_page_of_an_unknown_or_unpublished_event_is_not_found(client):
    hidden = EventFactory(is_published=False)
    session = SessionFactory(event=hidden)
    for slug in ("no-such-meeting", hidden.slug):
        assert client.get(url("en", "agenda:event-detail", slug=slug)).status_code == 404
        assert client.get(url("en", "agenda:event-agenda", event_slug=slug)).status_code == 404
        assert client.get(url("en", "agenda:speaker-list", event_slug=slug)).status_code == 404
        session_page = url("en", "agenda:session-detail", event_slug=slug, pk=session.pk)
        assert client.get(session_page).status_code == 404


def test_a_session_is_found_only_under_its_own_event(client, meeting):
    other = SessionFactory(event=EventFactory())
    page = url("en", "agenda:session-detail", event_slug=meeting.slug, pk=other.pk)
    assert client.get(page).status_code == 404


def test_not_found_page_switches_language_to_the_home_page(client):
    response = client.get("/en/no/such/page/")
    assert response.status_code == 404
    assert f'href="{url("es", "agenda:home")}"' in response.content.decode()


# Queries.


def build_event(sessions, speakers_per_session):
    event = EventFactory()
    for number in range(sessions):
        session = SessionFactory(
            event=event, starts_at=lima(9, number * 5), ends_at=lima(9, number * 5 + 5)
        )
        for _ in range(speakers_per_session):
            SessionSpeakerFactory(session=session)
    return event


def agenda_queries(client, event):
    page = url("en", "agenda:event-agenda", event_slug=event.slug)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert response.status_code == 200
    return len(queries)


def test_agenda_queries_do_not_grow_with_sessions_or_speakers(client, fingerprint_every_request):
    small = build_event(sessions=2, speakers_per_session=1)
    large = build_event(sessions=10, speakers_per_session=3)
    assert SessionSpeaker.objects.filter(session__event=large).count() == 30
    small_count = agenda_queries(client, small)
    assert agenda_queries(client, large) == small_count
    assert small_count <= 4


def test_speaker_page_queries_do_not_grow_with_speakers(client, fingerprint_every_request):
    small = build_event(sessions=2, speakers_per_session=1)
    large = build_event(sessions=10, speakers_per_session=3)

    def count(event):
        with CaptureQueriesContext(connection) as queries:
            client.get(url("en", "agenda:speaker-list", event_slug=event.slug))
        return len(queries)

    assert count(large) == count(small)


def test_public_pages_have_no_inline_style_or_script(client, meeting):
    session = meeting.sessions.first()
    for page in public_pages(meeting, session):
        html = client.get(page).content.decode()
        assert " style=" not in html
        for script in re.findall(r"<script[^>]*>", html):
            assert " src=" in script


def test_server_error_page_renders_without_a_request_or_database(rf):
    with translation.override("en"):
        response = server_error(rf.get("/en/"))
    assert response.status_code == 500
    assert translated("en", "Something went wrong") in response.content.decode()


def test_calendar_links_use_the_site_address_whatever_the_host_header(
    before_the_meeting, client, settings, meeting
):
    # Django matches ALLOWED_HOSTS without the port: "Host: localhost:9999" is served.
    settings.SITE_URL = "https://forum.example.org"
    response = client.get(
        url("en", "agenda:event-detail", slug=meeting.slug), HTTP_HOST="localhost:9999"
    )
    html = response.content.decode()
    feed = url("en", "agenda:event-feed", event_slug=meeting.slug)
    assert f'href="webcal://forum.example.org{feed}"' in html
    assert f'href="https://forum.example.org{feed}"' in html
    assert "localhost" not in html


@pytest.mark.parametrize("spelling", ["0{pk}", "00{pk}", "000000{pk}"])
def test_a_session_has_one_address_other_spellings_of_its_number_are_not_found(
    client, meeting, spelling
):
    session = meeting.sessions.order_by("starts_at").first()
    canonical = url("en", "agenda:session-detail", event_slug=meeting.slug, pk=session.pk)
    assert client.get(canonical).status_code == 200
    other = canonical.replace(f"/{session.pk}/", "/" + spelling.format(pk=session.pk) + "/")
    assert client.get(other).status_code == 404
    assert client.get(other + "calendar.ics").status_code == 404
