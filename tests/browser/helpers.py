"""
What browser tests share: screen sizes, the problem log every page is held to, the axe-core check,
screenshots, and accounts that sign in through the site's login page (addresses and texts per
language come from tests/languages.py, as in every other test).

Every journey (registration, check-in, the organisers' admin) builds on the same pieces: open a
page with the `open_page` fixture, check it with `assert_accessible`, keep a picture with
`save_screenshot`; the problem log is attached to every context on its own.
"""

import datetime
import re
import time
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.text import capfirst

from tests.languages import LANGUAGES, translated, url

# A common phone (390 × 844 CSS pixels) and a small laptop: the two widths the journeys run at.
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


def each_language_once(viewports=tuple(VIEWPORTS)):
    """
    (language, viewport) for a long journey: every language of the site once, the widths taken in
    turn, so the journey runs in each language and at each width without running in every language
    at every width. Page checks (axe, reflow) keep the full product.
    """
    return [(language, viewports[i % len(viewports)]) for i, language in enumerate(LANGUAGES)]


# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA, as axe-core tags them. Best practices and
# experimental rules are left out on purpose: the promise is conformance to AA, not to axe's taste.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

SCREENSHOT_DIR = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"

PASSWORD = "a-long-Secret-42"

# axe.min.js comes inside the axe-playwright-python wheel, so the check runs offline; reading the
# 570 kB script once serves every page of the session, and each page gets it once.
_axe = Axe()


def wall_clock(instant_utc, zone_name):
    """“10:00” for "2024-08-15T14:00:00Z" in America/Santiago: what a <time> should read there."""
    instant = datetime.datetime.fromisoformat(instant_utc)
    return instant.astimezone(zoneinfo.ZoneInfo(zone_name)).strftime("%H:%M")


def visit(page, path, status=200):
    """Opens a path on the live server and checks the status it answered with."""
    response = page.goto(path)
    assert response.status == status, f"{path} answered {response.status}, not {status}"
    return response


def assert_language_declared(page, language):
    assert page.locator("html").get_attribute("lang") == language


def settle(page):
    """
    Lets the page finish what it loads after its load event (the favicon) before the test leaves
    it by typing an address: a person takes longer than that, and an aborted favicon request would
    otherwise be logged as a failed request.
    """
    page.wait_for_load_state("networkidle")


def label(language, msgid):
    """A form field by its label, which crispy may follow with a “*” for required fields."""
    return re.compile(rf"^\s*{re.escape(capfirst(translated(language, msgid)))}\s*\*?\s*$")


def verified_user(email, **fields):
    """An account whose address is confirmed, as if its owner had followed the mail's link."""
    user = get_user_model().objects.create_user(
        username=email.split("@")[0], email=email, password=PASSWORD, **fields
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def submit_sign_in(page, language, email, next_path):
    """Types the address and password into the site's sign-in page, on the way to `next_path`."""
    visit(page, f"{url(language, 'account_login')}?next={next_path}")
    page.get_by_label(label(language, "Email")).fill(email)
    page.get_by_label(label(language, "Password")).fill(PASSWORD)
    page.get_by_role("button", name=translated(language, "Sign In")).click()


def sign_in(page, language, email, next_path):
    """Signs in without two-factor authentication and waits to arrive at `next_path`."""
    submit_sign_in(page, language, email, next_path)
    page.wait_for_url(f"**{next_path}")


def authenticator_code(secret, windows_ahead=0):
    """
    The six digits an authenticator app shows now (or `windows_ahead` 30-second steps later),
    computed with allauth's own functions from the clock the live server reads.
    """
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + windows_ahead
    return format_hotp_value(hotp_value(secret, counter))


def sign_in_with_code(page, language, email, next_path, secret):
    """Password on the sign-in page, then the app's code on the page that asks for it."""
    submit_sign_in(page, language, email, next_path)
    page.wait_for_url(f"**{url(language, 'mfa_authenticate')}")
    assert_language_declared(page, language)
    assert_accessible(page)
    page.get_by_label(label(language, "Code")).fill(authenticator_code(secret))
    page.get_by_role("button", name=translated(language, "Sign In")).click()
    page.wait_for_url(f"**{next_path}")


@dataclass
class BrowserProblems:
    """
    Everything a page did wrong while a test looked at it: JavaScript errors, console errors, failed
    requests, error responses (to a page or to anything it loads) and requests that left the site.

    The conftest attaches it to every browser context and fails the test if anything was logged.
    A test that means to meet an error (the 404 page, a form answered 4xx, a download that aborts
    its navigation) says so first with `expect(url)`.
    """

    origin: str
    problems: list[str] = field(default_factory=list)
    expected_urls: set[str] = field(default_factory=set)
    contexts: list = field(default_factory=list)

    def expect(self, url):
        """Errors of this address (absolute, or a path on the site) are what the test is about."""
        self.expected_urls.add(url if "://" in url else self.origin + url)

    def watch(self, context):
        self.contexts.append(context)
        context.on("weberror", lambda error: self._log(f"JavaScript error: {error.error}"))
        context.on("console", self._on_console)
        context.on("requestfailed", self._on_request_failed)
        context.on("request", self._on_request)
        context.on("response", self._on_response)

    def assert_none(self):
        # Events reach Python when it next talks to the browser: one round trip per page delivers
        # anything the browser sent before the test ended.
        for context in self.contexts:
            for page in context.pages:
                if not page.is_closed():
                    page.evaluate("0")
        assert not self.problems, "The browser reported problems:\n" + "\n".join(self.problems)

    def _log(self, problem):
        self.problems.append(problem)

    def _is_expected(self, url):
        return url in self.expected_urls

    def _on_console(self, message):
        # Chromium also logs each failed load as "Failed to load resource: …"; the request and
        # response handlers below report those, with the method, status or network error.
        if message.type != "error" or message.text.startswith("Failed to load resource"):
            return
        self._log(f"console error: {message.text} ({message.location.get('url', '')})")

    def _on_request(self, request):
        scheme = urlsplit(request.url).scheme
        if scheme in {"http", "https", "ws", "wss"} and not request.url.startswith(
            self.origin + "/"
        ):
            self._log(f"request leaving the site (no CDN, no tracker): {request.url}")

    def _on_request_failed(self, request):
        # A subresource the browser gave up because the page navigated away (the favicon of a page
        # the test left at once) is not a failure of the site.
        if request.failure == "net::ERR_ABORTED" and request.resource_type != "document":
            return
        if not self._is_expected(request.url):
            self._log(f"request failed ({request.failure}): {request.method} {request.url}")

    def _on_response(self, response):
        if response.status >= 400 and not self._is_expected(response.url):
            kind = response.request.resource_type
            self._log(f"HTTP {response.status} for {kind} {response.url}")


def axe_violations(page):
    """axe-core's WCAG 2.x A and AA violations on the page as it is now, as axe reports them."""
    # What Axe.run does, but injecting the script only into a page that lacks it: a page keeps
    # window.axe between checks until it navigates.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe.axe_script)
    results = page.evaluate(
        "options => axe.run(options)",
        {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    return results["violations"]


def describe_violations(violations):
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = node.get("failureSummary", "").replace("\n", " ")
            lines.append(f"        {summary}")
    return "\n".join(lines)


def assert_accessible(page):
    """No axe-core violation of WCAG 2.0/2.1/2.2 A or AA, with a readable list if there are."""
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{describe_violations(violations)}"


def save_screenshot(page, name):
    """A full-page PNG under test-artifacts/screenshots/ (git-ignored), for people to look at."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=path, full_page=True, animations="disabled")
    return path
