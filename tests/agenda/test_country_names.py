"""Country names as the region table of the time-zone picker shows them, in Spanish."""

import pytest
from django.utils import translation
from django_countries.fields import Country

from tests.languages import url

from .factories import EventFactory

pytestmark = pytest.mark.django_db


def test_trinidad_and_tobago_is_spelt_right_in_spanish():
    # django-countries' own Spanish catalogue has "Trinidad yTobago".
    with translation.override("es"):
        assert Country("TT").name == "Trinidad y Tobago"
    with translation.override("en"):
        assert Country("TT").name == "Trinidad and Tobago"


def test_the_region_table_names_trinidad_and_tobago_correctly_in_spanish(client):
    event = EventFactory()

    html = client.get(url("es", "agenda:event-agenda", event_slug=event.slug)).content.decode()

    assert "Trinidad y Tobago" in html
    assert "yTobago" not in html
