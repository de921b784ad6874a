from django.db import OperationalError
from django.test import RequestFactory
from django.utils import translation

from forum.views import server_error


def _handle(error):
    request = RequestFactory().get("/es/")
    try:
        raise error
    except Exception:
        return server_error(request)


def test_a_lost_database_connection_answers_503_try_again():
    with translation.override("en"):
        response = _handle(OperationalError("could not connect to server: Connection refused"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Please try again in a moment" in response.content.decode()


def test_other_errors_answer_500():
    with translation.override("en"):
        response = _handle(ValueError("bug"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_public_pages_carry_the_content_security_policy(client, db):
    response = client.get("/es/privacy/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
