"""The fixtures most registration tests share; a module that needs another event overrides `event`."""

import pytest

from .factories import AudienceCategoryFactory, open_event, verified_user


@pytest.fixture
def event():
    """A meeting whose registration window is open, with two places in Lima."""
    return open_event()


@pytest.fixture
def category(event):
    """The audience category a participant chooses in the form."""
    return AudienceCategoryFactory(event=event, name_en="Government", name_es="Gobierno")


@pytest.fixture
def participant(client):
    """A signed-in account with a confirmed address and no registration yet."""
    user = verified_user()
    client.force_login(user)
    return user
