"""
Who enters the admin, and how: staff sign in through the site's own sign-in (allauth: rate-limited,
e-mail verified) and only with two-factor authentication. The check-in desk asks the same of its
staff, who are not admin staff: its pages list participants and can show their needs, sensitive
data under Law 29733, and a desk phone is easily lost or left signed in (README: "The check-in
desk").

- The admin's own login page is never used: it sends people to the site's sign-in, and a POST to
  it is answered with the same redirect, so no password is ever checked there and no session
  begins there.
- A staff member who reaches the admin without an authenticator app is led to set one up first;
  one who has it, but whose session was not opened with a code from it (a session begun before
  the app was set up, say), is asked for a code before going on.
"""

from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

# Admin pages a staff member may reach before two-factor authentication: leaving.
OPEN_ADMIN_VIEWS = {"logout"}
# The check-in desk (registration/checkin.py) and the permission that opens it.
CHECK_IN_VIEWS = {
    "registration:check-in",
    "registration:check-in-arrived",
    "registration:check-in-undo",
}
CHECK_IN_PERMISSION = "registration.check_in_participants"
# Where a clerk was going when sent to set up the app: the recovery codes page, allauth's last step,
# links back there (templates/mfa/recovery_codes/index.html), as it links staff to the admin.
CHECK_IN_DESK_SESSION_KEY = "check_in_desk_path"


def _safe_next(request):
    """The page to go on to after signing in, if it is one of ours; else the admin's index."""
    candidate = request.GET.get(REDIRECT_FIELD_NAME, "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


@never_cache
def admin_login(request):
    """
    Stands in for the admin's login view (forum/urls.py routes admin/login/ here): whatever the
    method, nothing posted is read, so credentials sent here never open a session.

    Not allauth's `secure_admin_login`: it still hands a signed-in staff member's POST to the
    admin's login form, which would open a session for whatever credentials were posted.
    """
    next_url = _safe_next(request)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")
    if request.user.is_staff:
        # The admin itself (through StaffTwoFactorMiddleware) asks for two-factor if needed.
        return redirect(next_url)
    # Signed in, but as a participant: sending them to sign in again would loop.
    return render(request, "account/admin_access_refused.html", status=403)


def has_passed_two_factor(request):
    """Whether this session was opened, or confirmed since, with a code from an authenticator."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


class StaffTwoFactorMiddleware:
    """Every admin page, and every page of the check-in desk, asks its staff for two-factor first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None:
            return None
        user = request.user
        if "admin" in match.namespaces and match.url_name not in OPEN_ADMIN_VIEWS:
            # The admin turns away everyone else by itself.
            if not (user.is_authenticated and user.is_staff):
                return None
            setup_message = _(
                "The administration is protected by two-factor authentication. Set up an "
                "authenticator app on your phone first: scan the code below, then type the "
                "six-digit code it shows."
            )
            code_message = _("Type a code from your authenticator app to open the administration.")
        elif match.view_name in CHECK_IN_VIEWS:
            # The desk's views turn away everyone else by themselves.
            if not (user.is_authenticated and user.has_perm(CHECK_IN_PERMISSION)):
                return None
            setup_message = _(
                "The check-in desk is protected by two-factor authentication. Set up an "
                "authenticator app first: scan the code below, or type the secret under it "
                "into the app, then type the six-digit code it shows."
            )
            code_message = _("Type a code from your authenticator app to open the check-in desk.")
        else:
            return None
        if not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
            if request.method == "GET":
                messages.warning(request, setup_message)
                if match.view_name in CHECK_IN_VIEWS:
                    request.session[CHECK_IN_DESK_SESSION_KEY] = request.get_full_path()
            return redirect("mfa_activate_totp")
        if not has_passed_two_factor(request):
            messages.info(request, code_message)
            query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
            return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return None
