import datetime

import factory
from django.contrib.auth import get_user_model

from registration.models import AttendanceMode, AudienceCategory, Registration
from tests.agenda.factories import EventFactory


def open_event(**kwargs):
    """An event whose registration window is open for the whole of 2024–2030."""
    defaults = {
        "registration_opens_at": datetime.datetime(2024, 7, 1, tzinfo=datetime.UTC),
        "registration_closes_at": datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
        "in_person_capacity": 2,
        "virtual_capacity": None,
    }
    defaults.update(kwargs)
    return EventFactory(**defaults)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"participant{n}")
    email = factory.Sequence(lambda n: f"participant{n}@example.org")
    password = factory.django.Password("a-long-Secret-42")


class AudienceCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AudienceCategory

    event = factory.SubFactory(EventFactory)
    key = factory.Sequence(lambda n: f"category-{n}")
    name_es = factory.Sequence(lambda n: f"Categoría {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")
    order = factory.Sequence(lambda n: n)


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A registration row as stored; use registration.services.register() for the real workflow."""

    class Meta:
        model = Registration

    event = factory.SubFactory(EventFactory)
    user = factory.SubFactory(UserFactory)
    category = factory.SubFactory(AudienceCategoryFactory, event=factory.SelfAttribute("..event"))
    attendance_mode = AttendanceMode.IN_PERSON
    status = Registration.Status.CONFIRMED
    full_name = factory.Sequence(lambda n: f"Participant {n}")
    email = factory.LazyAttribute(lambda registration: registration.user.email)
    position = "Analyst"
    organisation = "Ministry of Foreign Trade"
    country = "PE"


def details(category, mode=AttendanceMode.IN_PERSON, **overrides):
    """What the registration form hands to services.register()."""
    values = {
        "category": category,
        "attendance_mode": mode,
        "full_name": "María Pérez",
        "honorific": "",
        "position": "Directora",
        "organisation": "Ministerio de Comercio Exterior",
        "country": "PE",
        "phone": "",
        "preferred_language": "es",
        "dietary_needs": "",
        "accessibility_needs": "",
    }
    values.update(overrides)
    return values
