"""
Rate limits on the participant's forms that send e-mail or change a place: a script that posts
them in a loop would flood inboxes and the waiting list.

The counting is allauth's (allauth.core.ratelimit), the same that already guards sign-in, sign-up
and password reset: the rates sit beside allauth's own in settings.ACCOUNT_RATE_LIMITS, and the
counts live in Django's cache, so with CACHE_URL pointing at Redis every gunicorn worker and every
host share them. Only POSTs count: reading a page is never limited. Past the limit the answer is
the 429 page (templates/429.html) in the visitor's language.
"""

from functools import wraps

from allauth.core.ratelimit import consume_or_429
from django.utils.decorators import method_decorator

REGISTER = "registration_register"
SWITCH_MODE = "registration_switch_mode"
CANCEL = "registration_cancel"
RENEW_LINK = "registration_renew_link"
DELETE_ACCOUNT = "registration_delete_account"


def rate_limited(action):
    """
    A view decorator: a POST beyond `action`'s rate is answered 429 and never reaches the view.
    Goes inside login_required: the rates count per signed-in person.
    """

    def decorator(view):
        @wraps(view)
        def limited_view(request, *args, **kwargs):
            refusal = consume_or_429(request, action=action, user=request.user)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

        return limited_view

    return decorator


def rate_limited_view(action):
    """The same for a class-based view's dispatch, stacked like method_decorator."""
    return method_decorator(rate_limited(action), name="dispatch")
