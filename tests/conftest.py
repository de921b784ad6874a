import pytest


@pytest.fixture(autouse=True)
def _use_locmem_mail_and_fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
