import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _copy_sqlite(source, target):
    # Through SQLite's backup API: the migrated file is in WAL mode, and a plain file copy could
    # miss pages still in its -wal file.
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A SQLite file with every migration applied, made once per run; tests work on copies."""
    path = tmp_path_factory.mktemp("migrated") / "forum.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity=0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{path}"},
        check=True,
    )
    return path


@pytest.fixture
def site_environment(migrated_sqlite, tmp_path):
    """
    Production's settings (DEBUG off) on plain HTTP over loopback, on a copy of the migrated
    database and a file cache every process shares, as Redis is shared in production.
    """
    database = tmp_path / "forum.sqlite3"
    _copy_sqlite(migrated_sqlite, database)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.forum.site_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{database}",
        "CACHE_URL": f"filecache://{tmp_path / 'cache'}",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": str(tmp_path / "access.log"),
    }


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def start_gunicorn(tmp_path):
    """Starts gunicorn (gunicorn.conf.py, two workers) with an environment; stops it afterwards."""
    started = []

    def start(environment):
        port = free_port()
        log_path = tmp_path / "gunicorn.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "forum.wsgi:application",
                    "--workers=2",
                    f"--bind=127.0.0.1:{port}",
                    "--graceful-timeout=5",
                ],
                cwd=ROOT,
                env=environment,
                # Its own process group: stopping it stops its workers too.
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return port
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"gunicorn did not start:\n{log_path.read_text(errors='replace')[-4000:]}")

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
