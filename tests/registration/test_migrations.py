"""The move of the registration window and places to registration loses nothing already saved."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("agenda", "0003_event_registration_window_and_capacity"),
    ("registration", "0005_undelivered_mail"),
]
AFTER = [
    ("agenda", "0004_registration_settings_moved_and_file_keys"),
    ("registration", "0007_mail_tasks_moved_to_mailqueue_and_tasks"),
]
OPENS = datetime.datetime(2024, 7, 1, 14, tzinfo=datetime.UTC)
CLOSES = datetime.datetime(2024, 8, 14, 5, tzinfo=datetime.UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_window_places_and_history_notes_are_carried_over():
    old = migrate(BEFORE)
    Event = old.get_model("agenda", "Event")
    event = Event.objects.create(
        slug="lima-2024",
        title_es="Reunión",
        starts_at=datetime.datetime(2024, 8, 15, 14, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2024, 8, 15, 18, tzinfo=datetime.UTC),
        registration_opens_at=OPENS,
        registration_closes_at=CLOSES,
        in_person_capacity=40,
        virtual_capacity=300,
    )
    Category = old.get_model("registration", "AudienceCategory")
    category = Category.objects.create(event=event, key="public-sector", name_es="Sector público")
    Registration = old.get_model("registration", "Registration")
    registration = Registration.objects.create(
        event=event,
        category=category,
        attendance_mode="virtual",
        status="confirmed",
        full_name="Ana",
        email="ana@example.org",
        position="Analyst",
        organisation="Ministry",
        country="BO",
        reference="ABCDEFGH",
        personal_token="token-ana",
    )
    StatusChange = old.get_model("registration", "StatusChange")
    for to_status, note in [
        ("waiting_list", ""),
        ("confirmed", "promoted"),
        ("confirmed", "mode:virtual"),
        ("confirmed", "checked in"),
        ("cancelled", ""),
    ]:
        StatusChange.objects.create(registration=registration, to_status=to_status, note=note)

    new = migrate(AFTER)
    settings = new.get_model("registration", "RegistrationSettings").objects.get(event_id=event.pk)
    assert (settings.opens_at, settings.closes_at) == (OPENS, CLOSES)
    assert (settings.in_person_places, settings.virtual_places) == (40, 300)
    history = new.get_model("registration", "StatusChange").objects.order_by("pk")
    assert list(history.values_list("action", "attendance_mode")) == [
        ("placed", "virtual"),
        ("promoted", "virtual"),
        ("mode_switched", "virtual"),
        ("checked_in", "virtual"),
        ("cancelled", "virtual"),
    ]
    # And back: a deployment rolled back finds its values where it left them.
    old = migrate(BEFORE)
    event = old.get_model("agenda", "Event").objects.get(pk=event.pk)
    assert (event.registration_opens_at, event.in_person_capacity) == (OPENS, 40)
    assert list(
        old.get_model("registration", "StatusChange")
        .objects.order_by("pk")
        .values_list("note", flat=True)
    ) == ["", "promoted", "mode:virtual", "checked in", ""]
    migrate(executor_leaf_nodes())


def executor_leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


BEFORE_LANGUAGES = [
    ("agenda", "0008_organisers_edit_roundtables"),
    ("registration", "0010_organisers_certificate_permissions"),
]
AFTER_LANGUAGES = [
    ("agenda", "0009_portuguese_and_french_fields"),
    ("registration", "0011_languages_from_settings_and_translated_messages"),
]


@pytest.mark.django_db(transaction=True)
def test_messages_already_sent_keep_their_spanish_and_english_texts():
    old = migrate(BEFORE_LANGUAGES)
    Event = old.get_model("agenda", "Event")
    event = Event.objects.create(
        slug="lima-2024",
        title_es="Reunión",
        starts_at=datetime.datetime(2024, 8, 15, 14, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2024, 8, 15, 18, tzinfo=datetime.UTC),
    )
    message = old.get_model("registration", "Message").objects.create(
        event=event,
        subject_es="Prueba",
        subject_en="Test",
        body_es="Texto",
        body_en="Text",
        audience="Status: Confirmed",
        submission_key="6a1f0c2e-8d1b-4c4e-9f1d-2b7d9c0e5a11",
    )

    new = migrate(AFTER_LANGUAGES)
    message = new.get_model("registration", "Message").objects.get(pk=message.pk)
    assert (message.subject_es, message.subject_en) == ("Prueba", "Test")
    assert (message.body_es, message.body_en) == ("Texto", "Text")
    # The untranslated columns hold the default language's text, as modeltranslation keeps them.
    assert (message.subject, message.body) == ("Prueba", "Texto")
    assert (message.subject_pt_br, message.body_fr) == (None, None)
    migrate(executor_leaf_nodes())
