import pytest


@pytest.fixture
def fingerprint_every_request(settings):
    """
    Every request reads the agenda's state from the database, as once the last reading is older
    than PUBLIC_PAGE_FINGERPRINT_MAX_AGE: what drawing a page costs does not then depend on what
    the request before it read.
    """
    settings.PUBLIC_PAGE_FINGERPRINT_MAX_AGE = 0
