"""
Browser tests: Debian's Chromium, driven by Playwright, against Django's live server.

One browser serves the whole session; each test gets fresh contexts (no shared cookies) and a
problem log that fails it on any JavaScript error, console error or failed request. Playwright
never downloads a browser of its own: without /usr/bin/chromium the tests are skipped on a
developer's machine, and fail on CI, where .ci/run installs it.
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from agenda.models import Event

from .helpers import VIEWPORTS, BrowserProblems

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent


def pytest_itemcollected(item):
    if HERE in Path(item.path).resolve().parents:
        item.add_marker(pytest.mark.browser)


# Last, after pytest-django's own ordering: while the browser is open an asyncio loop runs in the
# test thread, and Django's ORM must be told that this is fine (see `playwright` below). Browser
# tests at the end of the run keep that permission away from every other test.
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    problems = item.funcargs.get("browser_problems")
    if problems is not None:
        problems.assert_none()
    return result


@pytest.fixture(scope="session")
def _allow_orm_beside_playwright():
    # Playwright's sync API keeps an asyncio loop running in this thread for as long as the browser
    # is open, and Django then refuses ORM calls here (SynchronousOnlyOperation) although nothing
    # is asynchronous: the fixtures and the flush between tests are plain synchronous code.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def playwright(_allow_orm_beside_playwright, playwright):
    return playwright


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        reason = f"Browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (on CI they must run, so .ci/run installs it)")
        pytest.skip(reason)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": [
            # Chromium's sandbox will not start as root, which CI runs as; and there is no GPU.
            "--no-sandbox",
            "--disable-gpu",
            # Tests and CI run offline: nothing but the live server may be asked for anything.
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def base_url(live_server):
    """Pages are opened by path (`page.goto("/es/")`) on the live server."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        # The visitor's own clock must not matter: the server renders every time.
        "timezone_id": "Asia/Tokyo",
        "reduced_motion": "reduce",
    }


@pytest.fixture
def browser_problems(live_server):
    return BrowserProblems(origin=live_server.url)


@pytest.fixture
def new_context(new_context, browser_problems):
    """pytest-playwright's context factory, with every context watched for problems."""

    def create(**kwargs):
        context = new_context(**kwargs)
        browser_problems.watch(context)
        return context

    return create


@pytest.fixture
def open_page(new_context):
    """A page in a fresh context (its own cookies) at a width of VIEWPORTS: `open_page("phone")`."""

    def open_(viewport="desktop", **context_args):
        return new_context(**VIEWPORTS[viewport], **context_args).new_page()

    return open_


@pytest.fixture
def meeting(live_server, transactional_db):
    """The real meeting, loaded from its data file as `make run` does."""
    call_command("load_meeting", stdout=StringIO())
    return Event.objects.get()
