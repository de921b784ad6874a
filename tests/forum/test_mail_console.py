"""
While developing, mail is printed in the terminal running `make run`, readable: the text decoded
(accents as accents) and every link whole on one line, so the address-confirmation link can be
copied; attachments are named, not dumped.
"""

import os
import subprocess
import sys

from django.core.mail import EmailMultiAlternatives

from forum.mail_console import EmailBackend

from .conftest import ROOT

LINK = (
    "http://127.0.0.1:8000/es/accounts/confirm-email/"
    "MQ:1tXyZa:Zq3vJ8sWk2LmN0pQrStUvWxYz0123456789AbCdEfGhIjKlMnOp/"
)


def test_the_console_prints_mail_decoded_with_each_link_on_one_line(capsys):
    message = EmailMultiAlternatives(
        subject="[SGCAN] ¡Confirme su dirección de correo electrónico!",
        body=f"¡Hola, Núñez! Para confirmar su dirección, abra este enlace:\n{LINK}\n",
        from_email="SGCAN <no-reply@comunidadandina.org>",
        to=["participante@example.org"],
    )
    message.attach_alternative(
        f'<p>¡Hola, Núñez!</p><p><a href="{LINK}">Confirmar</a></p>', "text/html"
    )
    message.attach("programa.pdf", b"%PDF-1.7 programme", "application/pdf")

    EmailBackend().send_messages([message])
    printed = capsys.readouterr().out

    assert "Subject: [SGCAN] ¡Confirme su dirección de correo electrónico!" in printed
    assert "To: participante@example.org" in printed
    assert "¡Hola, Núñez! Para confirmar su dirección, abra este enlace:" in printed
    assert LINK in printed.splitlines()
    assert f'<a href="{LINK}">Confirmar</a>' in printed
    assert "  programa.pdf (application/pdf, 18 bytes)" in printed
    assert "=C2=A1" not in printed
    assert "%PDF" not in printed


def test_the_readable_console_is_the_default_while_debugging():
    environment = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "forum.settings"}
    environment.pop("EMAIL_BACKEND", None)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.MAILERS['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "forum.mail_console.EmailBackend"
