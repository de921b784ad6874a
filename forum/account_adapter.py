"""
allauth's own e-mails (address confirmation, password reset, security notices) leave through the
mail queue with the same retries as the participants' mails (mailqueue).

The request renders the message, in the visitor's language and with links on settings.SITE_URL,
and queues only plain data; the worker rebuilds the message from it and sends it.
"""

import logging
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site

from mailqueue import email_as_data, send_stored_email

logger = logging.getLogger(__name__)


def on_site(context):
    """
    The mail's context with every link allauth put in it (activate_url, password_reset_url,
    signup_url…) moved onto settings.SITE_URL. allauth builds them from the request's Host header,
    and ALLOWED_HOSTS matching ignores the port: a reset asked for with "Host: localhost:9999"
    mailed a link to that port. Rewriting here, where every account mail passes, covers the links
    built outside the adapter's get_*_url hooks too (the unknown-account and taken-address mails).
    """
    moved = {}
    for key, value in context.items():
        if key.endswith("_url") and isinstance(value, str) and "://" in value:
            parts = urlsplit(value)
            value = settings.SITE_URL + parts._replace(scheme="", netloc="").geturl()
        moved[key] = value
    return moved


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Render the message as allauth does, in the request, and queue it for the worker."""
        # allauth's own send_mail renders and sends in one go: its rendering is repeated here.
        request = allauth_context.request
        render_context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            # The signature names the site's own address (templates/account/email/).
            "site_domain": urlsplit(settings.SITE_URL).netloc,
            **on_site(context),
        }
        message = email_as_data(self.render_mail(template_prefix, email, render_context))
        # Queued at once, not on commit: allauth sends from its views outside any transaction, and
        # where it writes in one (two-factor changes) it calls send_mail from its own on_commit.
        try:
            send_stored_email.enqueue(message)
        except Exception:
            # As with a mail server that is down, the visitor's request succeeds all the same.
            logger.exception("Could not queue the account e-mail %r", message["subject"])
