"""
Certificates of participation: the participant downloads theirs from "My registration", and anyone
holding one checks it at its verification address (the QR code printed on it).

The download is personal (the signed-in person's own registration, as every page of theirs). The
verification page is public, reached by the certificate's secret code alone, but it shows a
person's name: it is never marked for the shared page cache and tells every cache not to keep it.
It says whether the certificate is valid and shows the name, the meeting, its date and the mode,
nothing else about the person (Law 29733).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .certificate_pdf import certificate_pdf, mode_text
from .emails import certificate_filename
from .models import Certificate, RegistrationError
from .views import own_registration


@never_cache
@login_required
@require_safe
def download(request, event_slug):
    """The signed-in participant's certificate, or their registration page saying why there is none."""
    registration = own_registration(request, event_slug)
    try:
        certificate = registration.issue_certificate()
    except RegistrationError as error:
        messages.error(request, str(error))
        return redirect(registration)
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, certificate_filename(certificate)
    )
    return response


@never_cache
@require_safe
def verification(request, code):
    """Whether the certificate with this code is valid: a page for whoever reads its QR code."""
    certificate = (
        Certificate.objects.select_related("registration__event").filter(code=code).first()
    )
    context = {"certificate": certificate}
    status = 200
    if certificate is None:
        status = 404
    else:
        context["state"] = certificate.state
        if certificate.state != Certificate.State.ERASED:
            event = certificate.registration.event
            context.update(
                name=certificate.registration.full_name,
                meeting=event.title,
                meeting_date=date_format(event.local_starts_at, "DATE_FORMAT"),
                meeting_date_iso=event.local_starts_at.date().isoformat(),
                mode=mode_text(certificate.attendance_mode),
            )
    # never_cache above: "private, no-store", the page names a person.
    return render(request, "registration/certificate_verification.html", context, status=status)
