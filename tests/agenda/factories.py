import datetime
import zoneinfo

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from agenda.models import (
    Event,
    Material,
    Organisation,
    Roundtable,
    Session,
    SessionSpeaker,
    Speaker,
)

from . import material_files

LIMA = zoneinfo.ZoneInfo("America/Lima")


def lima(hour, minute=0, day=datetime.date(2024, 8, 15)):
    """An aware datetime on the meeting's day, in Lima time."""
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LIMA)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name_es = factory.Sequence(lambda n: f"Organización {n}")
    name_en = factory.Sequence(lambda n: f"Organisation {n}")
    acronym = factory.Sequence(lambda n: f"ORG{n}")
    country = "PE"


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"event-{n}")
    title_es = factory.Sequence(lambda n: f"Reunión {n}")
    title_en = factory.Sequence(lambda n: f"Meeting {n}")
    starts_at = factory.LazyFunction(lambda: lima(9))
    ends_at = factory.LazyFunction(lambda: lima(13))
    time_zone = "America/Lima"
    venue_name_es = "Sede de la Secretaría General de la Comunidad Andina"
    venue_name_en = "Premises of the General Secretariat of the Andean Community"
    venue_address_es = "Lima, Perú"
    venue_address_en = "Lima, Peru"
    virtual_platform_name_es = "Plataforma virtual de la SGCAN"
    virtual_platform_name_en = "SGCAN virtual platform"
    virtual_join_url = "https://meet.example.org/j/secret-join-link-4242"
    virtual_access_details = "Passcode: 987654"


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    name = factory.Sequence(lambda n: f"Speaker {n}")
    position_es = "Especialista"
    position_en = "Specialist"
    organisation = factory.SubFactory(OrganisationFactory)
    confirmation_status = Speaker.ConfirmationStatus.CONFIRMED


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    kind = Session.Kind.PRESENTATION
    title_es = factory.Sequence(lambda n: f"Sesión {n}")
    title_en = factory.Sequence(lambda n: f"Session {n}")
    starts_at = factory.LazyFunction(lambda: lima(9))
    ends_at = factory.LazyFunction(lambda: lima(9, 30))


class SessionSpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionSpeaker

    session = factory.SubFactory(SessionFactory)
    speaker = factory.SubFactory(SpeakerFactory)
    role = SessionSpeaker.Role.SPEAKER
    order = factory.Sequence(lambda n: n)


class MaterialFactory(factory.django.DjangoModelFactory):
    """A material as an organiser saves it in admin: validated (the format read from the file's
    content), then saved. A PDF presentation of the whole meeting unless told otherwise."""

    class Meta:
        model = Material

    session = None
    event = factory.LazyAttribute(
        lambda material: material.session.event if material.session else EventFactory()
    )
    kind = Material.Kind.PRESENTATION
    title_es = factory.Sequence(lambda n: f"Presentación {n}")
    title_en = factory.Sequence(lambda n: f"Presentation {n}")
    file = factory.LazyAttribute(
        lambda material: (
            SimpleUploadedFile("slides.pdf", material_files.pdf())
            if material.kind == Material.Kind.PRESENTATION
            else ""
        )
    )
    url = factory.LazyAttribute(
        lambda material: (
            ""
            if material.kind == Material.Kind.PRESENTATION
            else "https://video.example.org/watch/4242"
        )
    )
    visibility = Material.Visibility.PUBLIC

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        material = model_class(*args, **kwargs)
        material.full_clean()
        material.save()
        return material


class RoundtableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Roundtable
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"roundtable-{n}")
    name_es = factory.Sequence(lambda n: f"Mesa {n}")
    name_en = factory.Sequence(lambda n: f"Roundtable {n}")
    description_es = "Cooperación regional."
    description_en = "Regional cooperation."
    order = factory.Sequence(lambda n: n)
