import pytest

from registration.forms import forget_kept_markup


@pytest.fixture(autouse=True)
def _forms_drawn_afresh():
    # A process keeps the blank registration form's markup; ids and names come back after each
    # test's rollback, and settings may differ from one test to the next.
    forget_kept_markup()
