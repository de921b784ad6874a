"""
Pages and rate limits in two Redis servers, as production keeps them: pages may be evicted (an
LRU server with little memory), the rate-limit counters never. Made-up query strings must neither
fill the pages' server nor touch the counters.
"""

import os
import secrets
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from agenda.models import Event

pytestmark = pytest.mark.django_db


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_server():
    """Starts throwaway redis-server processes on loopback; stops them afterwards."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is missing: .ci/run installs it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    started = []

    def start(*options):
        port = _free_port()
        process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                *options,
            ],
            stdout=subprocess.DEVNULL,
        )
        started.append(process)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return f"redis://127.0.0.1:{port}/0"
            time.sleep(0.05)
        pytest.fail("redis-server did not start")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def test_made_up_query_strings_neither_fill_the_page_cache_nor_evict_the_rate_limits(
    client, settings, redis_server
):
    limits = redis_server("--maxmemory-policy", "noeviction")
    pages = redis_server("--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru")
    backend = "django.core.cache.backends.redis.RedisCache"
    settings.CACHES = {
        "default": {"BACKEND": backend, "LOCATION": limits},
        "pages": {"BACKEND": backend, "LOCATION": pages},
    }
    caches["default"].clear()
    caches["pages"].clear()
    call_command("load_meeting", verbosity=0)
    event = Event.objects.get()
    with translation.override("es"):
        agenda = reverse("agenda:event-agenda", kwargs={"event_slug": event.slug})
    # A failed sign-in's counter, as allauth keeps it.
    caches["default"].set("allauth:rl:login_failed:ip:203.0.113.7", [time.time()] * 5, 3600)

    for _ in range(1500):
        made_up = secrets.token_hex(40)
        assert client.get(f"{agenda}?utm_source={made_up}&{made_up}=1").status_code == 200

    # One page stored for all of them: nothing to evict, and the counter is intact.
    assert caches["pages"]._cache.get_client().dbsize() == 1
    assert caches["default"].get("allauth:rl:login_failed:ip:203.0.113.7") is not None
