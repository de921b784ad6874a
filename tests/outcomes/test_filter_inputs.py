"""Whatever a visitor puts in the filters of the meetings list and the matrix, no page fails."""

import pytest
from django.core.cache import cache
from hypothesis import example, given
from hypothesis import strategies as st

from tests.languages import url
from tests.test_fuzz_public_inputs import HUGE, any_text, escaped, fuzz

FILTERS = ["roundtable", "organisation", "horizon", "status"]
PAGES = [
    ("agenda:event-list", {}),
    ("outcomes:matrix", {}),
    ("outcomes:matrix-download", {"file_format": "csv"}),
    ("outcomes:matrix-download", {"file_format": "xlsx"}),
]


@pytest.mark.parametrize(
    "value",
    ["99999999999999999999999999", "-1", "1.5", "\x00", "a" * HUGE, "<script>alert(1)</script>"],
)
@pytest.mark.parametrize("name", FILTERS)
def test_odd_filter_values_are_answered_without_a_server_error(client, matrix, name, value):
    for page, kwargs in PAGES:
        response = client.get(url("en", page, **kwargs), {name: value})
        assert response.status_code == 200, (page, name, response.content[:300])
        if page != "outcomes:matrix-download":
            assert "<script>alert(1)</script>" not in response.content.decode()


@fuzz()
@given(name=st.sampled_from(FILTERS), value=any_text(), page=st.integers(0, len(PAGES) - 1))
@example(name="organisation", value="1" * 40, page=1)
def test_any_filter_value_is_answered(client, matrix, name, value, page):
    cache.clear()
    page_name, kwargs = PAGES[page]
    response = client.get(f"{url('en', page_name, **kwargs)}?{name}={escaped(value)}")
    assert response.status_code == 200
