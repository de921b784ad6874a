"""
Browser tests: Debian's Chromium, driven by Playwright, against Django's live server.

One browser serves the whole session; each test gets fresh contexts (no shared cookies) and a
problem log that fails it on any JavaScript error, console error or failed request. Playwright
never downloads a browser of its own: without /usr/bin/chromium the tests are skipped on a
developer's machine, and fail on CI, where .ci/run installs it.
"""

import os
import sys
from functools import cache
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations import RunPython
from playwright.sync_api import expect

from agenda.models import Event
from registration.models import AttendanceMode
from tests.registration.factories import RegistrationFactory

from .helpers import VIEWPORTS, BrowserProblems, verified_user

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
# The apps whose data migrations create the staff groups (forum/groups.py).
GROUP_MIGRATING_APPS = {"agenda", "outcomes", "registration"}

# Expectations wait for the server, never for a fixed time.
expect.set_options(timeout=10_000)


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


@pytest.fixture(autouse=True)
def _site_address_is_the_live_servers(settings, live_server):
    # Links in pages and mails are built on SITE_URL: here the site is the live server.
    settings.SITE_URL = live_server.url


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
        page = new_context(**VIEWPORTS[viewport], **context_args).new_page()
        # A step that cannot happen fails in seconds, not after Playwright's default half minute.
        page.set_default_timeout(10_000)
        return page

    return open_


@pytest.fixture
def meeting(live_server, transactional_db):
    """The real meeting, loaded from its data file as `make run` does."""
    call_command("load_meeting", stdout=StringIO())
    return Event.objects.get()


@cache
def _staff_group_migrations():
    """The data migrations' forward functions, in migration order, and the models they expect."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes(), clean_start=True)
    functions = [
        operation.code
        for migration, _backwards in plan
        if migration.app_label in GROUP_MIGRATING_APPS
        for operation in migration.operations
        # Only the migrations that grant groups their permissions (through forum.groups): the
        # others move data that a fresh test database does not have.
        if isinstance(operation, RunPython)
        and hasattr(sys.modules[operation.code.__module__], "grant")
    ]
    return functions, executor.loader.project_state().apps


@pytest.fixture
def staff_member(transactional_db):
    """
    `staff_member(email, "Organisers")`: a verified account in a staff group, with the permissions
    the migrations give that group; `is_staff=False` for the check-in desk, which has no admin.

    Browser tests commit, and the flush after each one empties every table. Django then recreates
    the permissions, but not what data migrations made, so the groups' migrations run again here.
    """
    functions, apps = _staff_group_migrations()
    for function in functions:
        function(apps, None)

    def create(email, group_name, *, is_staff=True):
        user = verified_user(email, is_staff=is_staff)
        user.groups.add(Group.objects.get(name=group_name))
        return user

    return create


@pytest.fixture
def online_participant(meeting, live_server):
    """
    A confirmed virtual participant of the meeting; the room's link leads back to the site, so
    joining sends no request away from it.
    """
    Event.objects.filter(pk=meeting.pk).update(virtual_join_url=f"{live_server.url}/en/")
    user = verified_user("lucia@example.org")
    return RegistrationFactory(
        event=meeting,
        user=user,
        email=user.email,
        category=meeting.audience_categories.first(),
        attendance_mode=AttendanceMode.VIRTUAL,
        full_name="Lucía Fernández Quispe",
    )
