import datetime
import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from modeltranslation.translator import translator
from modeltranslation.utils import build_localized_fieldname

from agenda.loader import DEFAULT_MEETING_FILE
from agenda.models import Event, Organisation, Session, SessionSpeaker, Speaker
from registration.models import AttendanceMode, AudienceCategory, RegistrationSettings
from tests.languages import LANGUAGES

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
SLUG = "cross-border-cooperation-2024"


def utc(hour, minute=0):
    return datetime.datetime(2024, 8, 15, hour, minute, tzinfo=UTC)


def load(*args):
    out = io.StringIO()
    call_command("load_meeting", *args, stdout=out)
    return out.getvalue()


def sessions():
    return list(Event.objects.get(slug=SLUG).sessions.with_speakers().order_by("starts_at"))


def session_at(hour, minute=0):
    return Session.objects.get(event__slug=SLUG, starts_at=utc(hour, minute))


def snapshot():
    """Every column of every row the loader writes, to tell whether a run changed anything."""
    rows = {
        model.__name__: [
            {field.attname: getattr(row, field.attname) for field in model._meta.concrete_fields}
            for row in model.objects.order_by("pk")
        ]
        for model in (Organisation, Event, Speaker, Session, SessionSpeaker, AudienceCategory)
    }
    rows["organisers"] = list(
        Event.organisers.through.objects.order_by("pk").values_list("pk", "event", "organisation")
    )
    return rows


def writes(queries):
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


# The meeting as the concept note gives it: 09:00 in Lima (UTC−5) is 14:00 UTC.
EXPECTED_SESSIONS = [
    ("opening", utc(14, 0), utc(14, 15), ["Gonzalo Gutiérrez", "Clarems Endara"]),
    ("specialist_intervention", utc(14, 15), utc(14, 45), ["Hely Olivares"]),
    ("presentation", utc(14, 45), utc(15, 0), ["José Chamorro"]),
    ("specialist_intervention", utc(15, 0), utc(15, 20), ["Sebastián López"]),
    ("presentation", utc(15, 20), utc(15, 40), ["William Rodríguez"]),
    ("discussion", utc(15, 40), utc(16, 30), []),
    ("specialist_intervention", utc(16, 30), utc(16, 55), ["José Galván Tovar"]),
    ("presentation", utc(16, 55), utc(17, 15), ["Katty Rojas"]),
    ("discussion", utc(17, 20), utc(17, 45), []),
    ("closing", utc(17, 45), utc(18, 0), ["Gonzalo Gutiérrez", "Clarems Endara"]),
]


def test_loads_the_ten_sessions_with_their_kinds_times_and_speakers_in_order():
    load()

    loaded = [
        (
            session.kind,
            session.starts_at,
            session.ends_at,
            [link.speaker.name for link in session.ordered_speakers],
        )
        for session in sessions()
    ]

    assert loaded == EXPECTED_SESSIONS
    assert {link.role for link in SessionSpeaker.objects.all()} == {SessionSpeaker.Role.SPEAKER}


def test_session_titles_and_topics_are_in_spanish_and_english():
    load()
    presentation = session_at(14, 45)
    intervention = session_at(15, 0)

    with translation.override("es"):
        assert [session.title for session in sessions()][0] == "Inauguración"
        assert presentation.title == (
            "Experiencia de la SGCAN en la implementación de proyectos transfronterizos"
        )
        assert "Zonas de Integración Fronteriza" in presentation.topics_list[0]
        assert intervention.topics_list == [
            "Importancia de la interoperabilidad, los estándares y los procesos coordinados.",
            "Experiencias internacionales",
            "Buenas prácticas",
            "Benchmarking regulatorio",
        ]
    with translation.override("en"):
        assert [session.title for session in sessions()][-1] == "Closing"
        assert session_at(15, 20).title == "Andean Community Interoperability Project (INTERCOM)"
        assert intervention.topics_list == [
            "Importance of interoperability, standards and coordinated processes.",
            "International experiences",
            "Best practices",
            "Regulatory benchmarking",
        ]


def test_session_titles_and_topics_are_in_portuguese_and_french():
    load()
    intervention = session_at(15, 0)

    with translation.override("pt-br"):
        assert [session.title for session in sessions()][0] == "Abertura"
        assert session_at(16, 55).title == (
            "Centro Regional de Inteligência Fitossanitária da Comunidade Andina (CRIFCAN)"
        )
        assert intervention.topics_list[-1] == "Benchmarking regulatório"
    with translation.override("fr"):
        assert [session.title for session in sessions()][-1] == "Clôture"
        assert intervention.topics_list[0] == (
            "Importance de l'interopérabilité, des normes et des processus coordonnés."
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_the_file_gives_in_spanish_it_gives_in_every_language(language):
    """No public text of the meeting falls back to Spanish: the file translates all of it."""
    load()
    rows = [
        *Event.objects.all(),
        *Organisation.objects.all(),
        *Speaker.objects.all(),
        *Session.objects.all(),
        *AudienceCategory.objects.all(),
    ]
    untranslated = []
    for row in rows:
        for field in translator.get_options_for_model(type(row)).fields:
            spanish = getattr(row, build_localized_fieldname(field, "es"))
            own = getattr(row, build_localized_fieldname(field, language))
            if spanish and not own:
                untranslated.append(f"{type(row).__name__} {row.pk} {field}")
    assert untranslated == []


def test_speakers_have_honorifics_positions_and_organisations_in_both_languages():
    load()
    gutierrez = Speaker.objects.get(name="Gonzalo Gutiérrez")
    endara = Speaker.objects.get(name="Clarems Endara")
    lopez = Speaker.objects.get(name="Sebastián López")

    with translation.override("es"):
        assert gutierrez.display_name == "Embajador Gonzalo Gutiérrez"
        assert gutierrez.position == "Secretario General de la Comunidad Andina"
        assert endara.display_name == "Embajador Clarems Endara"
        assert gutierrez.organisation.name == "Secretaría General de la Comunidad Andina"
        assert endara.organisation.name == "Sistema Económico Latinoamericano y del Caribe"
    with translation.override("en"):
        assert gutierrez.display_name == "Ambassador Gonzalo Gutiérrez"
        assert endara.position == (
            "Permanent Secretary of the Latin American and Caribbean Economic System"
        )
        assert lopez.position == "Leading Transport Specialist"
        assert endara.organisation.name == "Latin American and Caribbean Economic System"
    assert {speaker.name: speaker.organisation.acronym for speaker in Speaker.objects.all()} == {
        "Gonzalo Gutiérrez": "SGCAN",
        "Clarems Endara": "SELA",
        "Hely Olivares": "CAF",
        "José Chamorro": "SGCAN",
        "Sebastián López": "CAF",
        "William Rodríguez": "SGCAN",
        "José Galván Tovar": "SENASICA",
        "Katty Rojas": "SGCAN",
    }
    # The note gives no position for these four; none is made up.
    for speaker in Speaker.objects.filter(
        name__in=["José Chamorro", "William Rodríguez", "José Galván Tovar", "Katty Rojas"]
    ):
        assert not speaker.position_es and not speaker.position_en
        assert not speaker.honorific_es and not speaker.honorific_en


def test_every_speaker_is_confirmed_and_galvan_tovar_by_e_mail():
    load()
    galvan = Speaker.objects.get(name="José Galván Tovar")

    assert all(speaker.is_confirmed for speaker in Speaker.objects.all())
    assert galvan.confirmation_note_es == "Confirmado por correo electrónico"
    assert galvan.confirmation_note_en == "Confirmed by e-mail"
    for speaker in Speaker.objects.exclude(pk=galvan.pk):
        assert not speaker.confirmation_note_es and not speaker.confirmation_note_en


def test_only_the_two_discussion_rounds_are_to_be_confirmed():
    load()

    to_be_confirmed = [session for session in sessions() if session.is_to_be_confirmed]

    assert [session.starts_at for session in to_be_confirmed] == [utc(15, 40), utc(17, 20)]
    for session in to_be_confirmed:
        assert session.speakers_to_be_confirmed
        assert session.participants_note_en == (
            "Secretaries General and representatives of the participating integration bodies"
        )
        assert session.participants_note_es == (
            "Secretarios Generales y representantes de los organismos de integración participantes"
        )


def test_loads_the_event_with_its_hours_venue_objectives_and_organisers():
    load()
    event = Event.objects.get(slug=SLUG)

    assert (event.starts_at, event.ends_at) == (utc(14), utc(18))
    assert event.time_zone == "America/Lima"
    assert event.local_starts_at.strftime("%H:%M") == "09:00"
    assert event.venue_name_en == "Premises of the General Secretariat of the Andean Community"
    assert event.venue_name_es == "Sede de la Secretaría General de la Comunidad Andina"
    assert event.virtual_platform_name_en == "Virtual platform proposed by the SGCAN"
    assert event.virtual_join_url == ""
    assert event.is_hybrid
    assert sorted(event.organisers.values_list("acronym", flat=True)) == ["SELA", "SGCAN"]
    with translation.override("en"):
        assert event.title == "Working meeting on cross-border cooperation and infrastructure"
        assert len(event.specific_objectives_list) == 5
        assert event.specific_objectives_list[-1] == (
            "To contribute to the convergence matrix in this field of action, marking a roadmap."
        )
        assert event.general_objective.startswith("To promote a space for dialogue")
        assert "(Bogotá, Lima, Quito time)" in event.format_description
    with translation.override("es"):
        assert event.title == (
            "Reunión de trabajo sobre cooperación transfronteriza e infraestructura"
        )
        assert len(event.specific_objectives_list) == 5
        assert event.target_audience.startswith("El evento estará dirigido")


def test_loads_the_four_organisations_with_the_countries_the_note_makes_plain():
    load()

    assert {
        organisation.acronym: (organisation.name_en, organisation.country.code)
        for organisation in Organisation.objects.all()
    } == {
        "SGCAN": ("General Secretariat of the Andean Community", "PE"),
        "SELA": ("Latin American and Caribbean Economic System", ""),
        "CAF": ("CAF – Development Bank of Latin America and the Caribbean", ""),
        "SENASICA": ("National Service of Agro-Alimentary Health, Safety and Quality", "MX"),
    }


def test_prints_what_it_created_then_that_nothing_changed():
    first = load()
    second = load()

    assert "sessions: 10 created, 0 updated, 0 unchanged" in first
    assert "speakers: 8 created, 0 updated, 0 unchanged" in first
    assert "audience_categories: 5 created, 0 updated, 0 unchanged" in first
    assert "sessions: 0 created, 0 updated, 10 unchanged" in second
    assert "organisations: 0 created, 0 updated, 4 unchanged" in second
    assert "audience_categories: 0 created, 0 updated, 5 unchanged" in second


def test_second_run_writes_nothing_to_the_database():
    with time_machine.travel(datetime.datetime(2024, 7, 1, 12, tzinfo=UTC), tick=False):
        load()
    before = snapshot()

    with (
        time_machine.travel(datetime.datetime(2024, 7, 2, 12, tzinfo=UTC), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        load()

    assert writes(queries) == []
    assert snapshot() == before
    assert {session.sequence for session in Session.objects.all()} == {0}


def test_admin_edits_survive_a_second_run():
    load()
    event = Event.objects.get(slug=SLUG)
    event.virtual_join_url = "https://meet.example.org/j/private"
    event.venue_address_en = "Lima, Peru – room 3"
    event.save()
    Speaker.objects.filter(name="Katty Rojas").update(position_en="Phytosanitary specialist")
    session = session_at(16, 30)
    session.title_en = "Interoperability in phytosanitary control"
    session.save()
    discussion = session_at(15, 40)
    discussion.speakers_to_be_confirmed = False
    discussion.save()
    SessionSpeaker.objects.create(
        session=discussion, speaker=Speaker.objects.get(name="José Chamorro"), order=1
    )

    output = load()

    event.refresh_from_db()
    session.refresh_from_db()
    discussion.refresh_from_db()
    assert event.virtual_join_url == "https://meet.example.org/j/private"
    assert event.venue_address_en == "Lima, Peru – room 3"
    assert Speaker.objects.get(name="Katty Rojas").position_en == "Phytosanitary specialist"
    assert session.title_en == "Interoperability in phytosanitary control"
    assert not discussion.speakers_to_be_confirmed
    assert [link.speaker.name for link in discussion.session_speakers.all()] == ["José Chamorro"]
    assert "sessions: 0 created, 0 updated, 10 unchanged" in output


def test_a_field_left_empty_in_admin_is_filled_from_the_file_on_the_next_run():
    load()
    session = session_at(14, 15)
    session.title_en = ""
    session.save()

    output = load()

    session.refresh_from_db()
    assert session.title_en == "Intervention – International Specialist"
    assert "sessions: 0 created, 1 updated, 9 unchanged" in output


def test_overwrite_restores_the_files_values_but_not_the_private_join_link():
    load()
    event = Event.objects.get(slug=SLUG)
    event.title_en = "Renamed in admin"
    event.virtual_join_url = "https://meet.example.org/j/private"
    event.save()
    event.organisers.remove(Organisation.objects.get(acronym="SELA"))
    Speaker.objects.filter(name="Hely Olivares").update(position_es="Otro cargo")
    opening = session_at(14)
    opening.session_speakers.filter(speaker__name="Clarems Endara").delete()

    output = load("--overwrite")

    event.refresh_from_db()
    assert event.title_en == "Working meeting on cross-border cooperation and infrastructure"
    assert event.virtual_join_url == "https://meet.example.org/j/private"
    assert sorted(event.organisers.values_list("acronym", flat=True)) == ["SELA", "SGCAN"]
    assert Speaker.objects.get(name="Hely Olivares").position_es == (
        "Ejecutivo Senior de Integración Regional"
    )
    assert [link.speaker.name for link in opening.session_speakers.order_by("order")] == [
        "Gonzalo Gutiérrez",
        "Clarems Endara",
    ]
    assert "event: 0 created, 1 updated, 0 unchanged" in output
    assert "speakers: 0 created, 1 updated, 7 unchanged" in output
    assert "sessions: 0 created, 1 updated, 9 unchanged" in output


def test_overwrite_moves_a_rescheduled_session_back_and_its_calendar_sequence_grows():
    load()
    closing = session_at(17, 45)
    closing.starts_at, closing.ends_at = utc(17, 50), utc(18)
    closing.save()

    load()
    closing.refresh_from_db()
    assert (closing.starts_at, closing.sequence) == (utc(17, 50), 1)

    load("--overwrite")
    closing.refresh_from_db()
    assert (closing.starts_at, closing.ends_at, closing.sequence) == (utc(17, 45), utc(18), 2)
    assert Session.objects.count() == 10


def test_sessions_rearranged_in_admin_are_kept_and_overwrite_restores_them_without_conflict():
    load()
    # An organiser gives five minutes of the first discussion round to the next intervention.
    discussion, intervention = session_at(15, 40), session_at(16, 30)
    discussion.ends_at = utc(16, 25)
    discussion.save()
    intervention.starts_at = utc(16, 25)
    intervention.save()

    output = load()

    assert "sessions: 0 created, 0 updated, 10 unchanged" in output
    intervention.refresh_from_db()
    assert intervention.starts_at == utc(16, 25)

    load("--overwrite")

    assert [(session.starts_at, session.ends_at) for session in sessions()] == [
        (starts_at, ends_at) for _kind, starts_at, ends_at, _speakers in EXPECTED_SESSIONS
    ]


def test_a_session_deleted_in_admin_comes_back_only_with_overwrite():
    load()
    session_at(17, 20).delete()

    output = load()

    assert not Session.objects.filter(starts_at=utc(17, 20)).exists()
    assert "sessions: 0 created, 0 updated, 9 unchanged, 1 no longer in the database" in output
    assert "--overwrite creates them again" in output

    load("--overwrite")

    assert session_at(17, 20).speakers_to_be_confirmed


def test_a_second_run_never_creates_a_duplicate_of_an_edited_session():
    load()
    # Moved and renamed: neither its time nor its title matches the file any more.
    session = session_at(17, 20)
    session.starts_at, session.title_es = utc(17, 15), "Ronda final"
    session.save()

    output = load()

    assert Session.objects.count() == 10
    assert "1 no longer in the database and left out" in output


# Audience categories -------------------------------------------------------------------------

IN_PERSON, VIRTUAL = AttendanceMode.IN_PERSON, AttendanceMode.VIRTUAL

# The note's audiences, in its order: (key, Spanish name, English name, modes, needs approval).
EXPECTED_CATEGORIES = [
    (
        "integration-organisations",
        "Organismos de integración regional, subregional y multilateral de América Latina y el "
        "Caribe",
        "Regional, subregional and multilateral integration organisations of Latin America and "
        "the Caribbean",
        [IN_PERSON, VIRTUAL],
        False,
    ),
    (
        "international-organisations",
        "Organismos internacionales que participan en la iniciativa",
        "International organisations participating in the initiative",
        [IN_PERSON, VIRTUAL],
        False,
    ),
    (
        "public-sector",
        "Sector público de los países miembros involucrados en la cooperación transfronteriza y "
        "la infraestructura",
        "Public sector of the member countries involved in cross-border cooperation and "
        "infrastructure",
        [IN_PERSON, VIRTUAL],
        False,
    ),
    ("private-sector", "Sector privado", "Private sector", [IN_PERSON], True),
    (
        "interested-professionals",
        "Profesionales interesados",
        "Interested professionals",
        [VIRTUAL],
        False,
    ),
]


def categories():
    return list(Event.objects.get(slug=SLUG).audience_categories.order_by("order", "pk"))


def category(key):
    return AudienceCategory.objects.get(event__slug=SLUG, key=key)


def test_loads_the_five_audience_categories_in_the_notes_order_with_their_modes_and_approval():
    load()

    loaded = []
    for row in categories():
        with translation.override("es"):
            name_es = row.name
        with translation.override("en"):
            name_en = row.name
        loaded.append((row.key, name_es, name_en, row.allowed_modes, row.needs_approval))

    assert loaded == EXPECTED_CATEGORIES
    assert [row.order for row in categories()] == [1, 2, 3, 4, 5]
    assert all(row.is_active for row in categories())


def test_each_category_is_described_from_the_note_in_both_languages():
    load()
    private_sector = category("private-sector")
    professionals = category("interested-professionals")

    for row in categories():
        assert row.description_es and row.description_en
    with translation.override("en"):
        assert private_sector.description == (
            "By invitation, in accordance with the topics to be discussed. In person in Lima, in "
            "the room the SGCAN will provide for the participation of interested parties."
        )
        assert professionals.description == (
            "Virtually, through the platform to be determined by the SGCAN."
        )
    with translation.override("es"):
        assert private_sector.description.startswith("Por invitación, de acuerdo con los temas")
        assert professionals.description == (
            "De manera virtual, a través de la plataforma que determine la SGCAN."
        )


def test_loading_leaves_registration_closed_and_the_places_for_organisers_to_set():
    load()
    event = Event.objects.get(slug=SLUG)

    settings = RegistrationSettings.objects.for_event(event)
    assert (settings.opens_at, settings.closes_at) == (None, None)
    assert settings.window() == RegistrationSettings.Window.NOT_SET
    assert (settings.in_person_places, settings.virtual_places) == (0, None)


def test_overwrite_keeps_the_registration_window_and_places_organisers_set_in_admin():
    load()
    event = Event.objects.get(slug=SLUG)
    RegistrationSettings.objects.create(
        event=event,
        opens_at=datetime.datetime(2024, 7, 1, tzinfo=UTC),
        closes_at=datetime.datetime(2024, 8, 14, tzinfo=UTC),
        in_person_places=40,
        virtual_places=300,
    )

    load("--overwrite")

    settings = RegistrationSettings.objects.get(event=event)
    assert settings.opens_at == datetime.datetime(2024, 7, 1, tzinfo=UTC)
    assert settings.closes_at == datetime.datetime(2024, 8, 14, tzinfo=UTC)
    assert (settings.in_person_places, settings.virtual_places) == (40, 300)


def edit_categories_in_admin():
    private_sector = category("private-sector")
    private_sector.name_en = "Private sector (invited)"
    private_sector.allows_virtual = True
    private_sector.needs_approval = False
    private_sector.order = 9
    private_sector.save()
    professionals = category("interested-professionals")
    professionals.description_es = "Por la plataforma Zoom."
    professionals.is_active = False
    professionals.save()


def test_organisers_edits_of_categories_survive_a_second_run():
    load()
    edit_categories_in_admin()

    output = load()

    private_sector = category("private-sector")
    professionals = category("interested-professionals")
    assert private_sector.name_en == "Private sector (invited)"
    assert private_sector.allowed_modes == [IN_PERSON, VIRTUAL]
    assert not private_sector.needs_approval
    assert private_sector.order == 9
    assert professionals.description_es == "Por la plataforma Zoom."
    assert not professionals.is_active
    assert "audience_categories: 0 created, 0 updated, 5 unchanged" in output


def test_overwrite_restores_the_files_categories_but_leaves_a_withdrawn_one_withdrawn():
    load()
    edit_categories_in_admin()

    output = load("--overwrite")

    private_sector = category("private-sector")
    professionals = category("interested-professionals")
    assert private_sector.name_en == "Private sector"
    assert private_sector.allowed_modes == [IN_PERSON]
    assert private_sector.needs_approval
    assert private_sector.order == 4
    assert professionals.description_es == (
        "De manera virtual, a través de la plataforma que determine la SGCAN."
    )
    # Whether a category is offered is the organisers' call alone: the file does not say it.
    assert not professionals.is_active
    assert "audience_categories: 0 created, 2 updated, 3 unchanged" in output


def test_a_category_description_emptied_in_admin_is_filled_from_the_file_on_the_next_run():
    load()
    AudienceCategory.objects.filter(key="public-sector").update(description_en="")

    output = load()

    assert category("public-sector").description_en == (
        "In person at the SGCAN premises in Lima, or virtually through the platform proposed by "
        "the SGCAN."
    )
    assert "audience_categories: 0 created, 1 updated, 4 unchanged" in output


def test_a_category_deleted_in_admin_comes_back_only_with_overwrite():
    load()
    category("international-organisations").delete()

    output = load()

    assert [row.key for row in categories()] == [
        "integration-organisations",
        "public-sector",
        "private-sector",
        "interested-professionals",
    ]
    assert "audience_categories: 0 created, 0 updated, 4 unchanged, 1 no longer" in output

    load("--overwrite")

    assert [row.key for row in categories()] == [key for key, *_rest in EXPECTED_CATEGORIES]


def test_a_category_whose_key_was_changed_in_admin_is_not_duplicated_even_with_overwrite():
    load()
    AudienceCategory.objects.filter(key="public-sector").update(key="government")

    load()
    assert AudienceCategory.objects.count() == 5
    assert category("government").name_en.startswith("Public sector")

    load("--overwrite")
    assert AudienceCategory.objects.count() == 5
    assert category("public-sector").order == 3


def test_a_meeting_loaded_before_its_file_had_categories_gets_them_all(tmp_path):
    text = DEFAULT_MEETING_FILE.read_text(encoding="utf-8")
    without_categories = tmp_path / "meeting.toml"
    without_categories.write_text(text[: text.index("[[audience_categories]]")], encoding="utf-8")
    load("--file", str(without_categories))
    assert not AudienceCategory.objects.exists()

    output = load()

    assert [row.key for row in categories()] == [key for key, *_rest in EXPECTED_CATEGORIES]
    assert "audience_categories: 5 created, 0 updated, 0 unchanged" in output
    assert "sessions: 0 created, 0 updated, 10 unchanged" in output


def in_every_language(content):
    """
    A test file's content with each English text (`title.en = "…"`) given in the site's other
    languages too, as the loader requires: the cases below are about something else.
    """
    lines = []
    for line in content.splitlines():
        lines.append(line)
        field, separator, value = line.partition(".en = ")
        if separator:
            lines += [f"{field}.{code} = {value}" for code in LANGUAGES if code not in ("es", "en")]
    return "\n".join(lines) + "\n"


MINIMAL_EVENT = """
[event]
slug = "test-meeting"
title.es = "Reunión de prueba"
title.en = "Test meeting"
starts_at = 2024-08-15T09:00:00-05:00
ends_at = 2024-08-15T13:00:00-05:00
"""

CATEGORY = """
[[audience_categories]]
key = "private-sector"
name.es = "Sector privado"
name.en = "Private sector"
allows_in_person = true
allows_virtual = false
needs_approval = true
"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[event\nslug = 1", "is not valid TOML"),
        ("[[sessions]]\nkey = 'a'", "the [event] section is missing"),
        (MINIMAL_EVENT + "[audience]\nname = 'x'", 'unknown section "audience"'),
        (
            MINIMAL_EVENT.replace('title.en = "Test meeting"\n', ""),
            '[event], title has no text in "en"',
        ),
        (
            MINIMAL_EVENT.replace('title.es = "Reunión de prueba"\n', 'title.de = "Testsitzung"\n'),
            '[event], title has no text in "es"',
        ),
        (
            MINIMAL_EVENT
            + 'venue_name.es = "Sede"\nvenue_name.en = "Premises"\nvenue_name.de = "Sitz"',
            '[event], venue_name: "de" is not a language of the site',
        ),
        (MINIMAL_EVENT + 'venue = "Lima"', 'unknown key "venue"'),
        (
            MINIMAL_EVENT.replace("09:00:00-05:00", "09:00:00"),
            "[event], starts_at must be a date-time with its UTC offset",
        ),
        (
            MINIMAL_EVENT + 'time_zone = "America/Atlantis"',
            "[event]: time_zone: “America/Atlantis” is not a known time zone.",
        ),
        (
            MINIMAL_EVENT
            + """
[[sessions]]
key = "opening"
kind = "opening"
title.es = "Inauguración"
title.en = "Opening"
starts_at = 2024-08-15T09:00:00-05:00
ends_at = 2024-08-15T09:15:00-05:00
speakers = [{ name = "Nobody Known" }]
""",
            '[[sessions]] #1 (key "opening"), speakers #1: "Nobody Known" is not in the file',
        ),
        (
            MINIMAL_EVENT
            + """
[[sessions]]
key = "first"
kind = "keynote"
title.es = "Primera"
title.en = "First"
starts_at = 2024-08-15T09:00:00-05:00
ends_at = 2024-08-15T09:30:00-05:00
""",
            "[[sessions]] #1 (key \"first\"): kind: Value 'keynote' is not a valid choice.",
        ),
        (
            MINIMAL_EVENT
            + """
[[sessions]]
key = "backwards"
kind = "presentation"
title.es = "Al revés"
title.en = "Backwards"
starts_at = 2024-08-15T10:00:00-05:00
ends_at = 2024-08-15T09:30:00-05:00
""",
            '[[sessions]] #1 (key "backwards"): ends_at (2024-08-15T09:30:00-05:00) must be after '
            "starts_at (2024-08-15T10:00:00-05:00)",
        ),
        (
            MINIMAL_EVENT
            + """
[[sessions]]
key = "first"
kind = "presentation"
title.es = "Primera"
title.en = "First"
starts_at = 2024-08-15T09:00:00-05:00
ends_at = 2024-08-15T10:00:00-05:00

[[sessions]]
key = "second"
kind = "presentation"
title.es = "Segunda"
title.en = "Second"
starts_at = 2024-08-15T09:30:00-05:00
ends_at = 2024-08-15T10:30:00-05:00
""",
            '[[sessions]] #1 (key "first"): This session overlaps “Segunda” (09:30–10:30).',
        ),
        (
            MINIMAL_EVENT + "registration_opens_at = 2024-07-01T00:00:00-05:00",
            'unknown key "registration_opens_at"',
        ),
        (MINIMAL_EVENT + "in_person_capacity = 40", 'unknown key "in_person_capacity"'),
        (
            MINIMAL_EVENT + CATEGORY + CATEGORY,
            '[[audience_categories]] #2 (key "private-sector"): the key "private-sector" is used '
            "twice in the file.",
        ),
        (
            MINIMAL_EVENT + CATEGORY.replace("allows_virtual = false", 'allows_virtual = "no"'),
            '[[audience_categories]] #1 (key "private-sector"), allows_virtual must be true or '
            "false.",
        ),
        (
            MINIMAL_EVENT + CATEGORY.replace('"private-sector"', '"Private sector!"'),
            '[[audience_categories]] #1 (key "Private sector!"): key: Enter a valid “slug”',
        ),
    ],
    ids=[
        "toml-syntax",
        "no-event",
        "unknown-section",
        "one-language-only",
        "no-spanish",
        "unknown-language",
        "unknown-key",
        "time-without-offset",
        "unknown-time-zone",
        "unknown-speaker",
        "unknown-kind",
        "ends-before-it-starts",
        "overlapping-sessions",
        "registration-window-in-file",
        "capacity-in-file",
        "category-key-twice",
        "category-mode-not-true-or-false",
        "category-key-not-a-slug",
    ],
)
def test_a_malformed_file_is_refused_with_a_clear_message_and_nothing_is_written(
    tmp_path, content, message
):
    path = tmp_path / "meeting.toml"
    path.write_text(in_every_language(content), encoding="utf-8")

    with pytest.raises(CommandError) as refusal:
        load("--file", str(path))

    assert message in str(refusal.value)
    assert str(path) in str(refusal.value)
    assert not Event.objects.exists()
    assert not Session.objects.exists()
    assert not AudienceCategory.objects.exists()


def test_a_missing_file_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        load("--file", str(tmp_path / "absent.toml"))
