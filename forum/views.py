"""Error pages that must work when the database does not."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

# Seconds a client is asked to wait before trying again while the database is unreachable.
RETRY_AFTER_SECONDS = 30


@requires_csrf_token
def server_error(request):
    """
    A lost database connection (PostgreSQL restarting, a failover) is temporary: answer 503 with
    "try again" and Retry-After instead of a 500, so people and proxies retry. Django reconnects by
    itself on the next request. Nothing was acknowledged to the participant, so nothing is lost.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return HttpResponseServerError(loader.render_to_string("500.html"))
