import datetime

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from registration.models import (
    AttendanceMode,
    AudienceCategory,
    Registration,
    RegistrationSettings,
)
from tests.agenda.factories import EventFactory

# An open window reaches this far either side of the clock: wide enough for the tests that travel
# to the weeks around the meeting (August 2024), and never closed by the passing years.
OPEN_WINDOW_MARGIN = datetime.timedelta(days=5 * 365)
SETTINGS_FIELDS = ("opens_at", "closes_at", "in_person_places", "virtual_places")


class RegistrationSettingsFactory(factory.django.DjangoModelFactory):
    """An event's registration settings with the window open around now and two seats in Lima."""

    class Meta:
        model = RegistrationSettings
        django_get_or_create = ("event",)

    event = factory.SubFactory(EventFactory)
    opens_at = factory.LazyFunction(lambda: timezone.now() - OPEN_WINDOW_MARGIN)
    closes_at = factory.LazyFunction(lambda: timezone.now() + OPEN_WINDOW_MARGIN)
    in_person_places = 2
    virtual_places = None


def open_event(**kwargs):
    """An event whose registration window is open (see RegistrationSettingsFactory)."""
    settings = {name: kwargs.pop(name) for name in SETTINGS_FIELDS if name in kwargs}
    event = EventFactory(**kwargs)
    RegistrationSettingsFactory(event=event, **settings)
    return event


def set_registration(event, **changes):
    """Change `event`'s registration settings as an organiser would in admin; returns them."""
    settings = RegistrationSettings.objects.for_event(event)
    for name, value in changes.items():
        setattr(settings, name, value)
    settings.save()
    return settings


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


def verified_user(email=None, **fields):
    """An account whose address is confirmed, as if its owner had followed the mail's link."""
    user = UserFactory(**({"email": email} if email else {}), **fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user
