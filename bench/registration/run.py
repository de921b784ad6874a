"""
Registration storm: many participants register at the same moment for a small number of in-person
places, against gunicorn (2 workers) on PostgreSQL over loopback.

    .venv/bin/python bench/registration/run.py                      (500 participants, 60 places)
    .venv/bin/python bench/registration/run.py --participants 60 --capacity 20
    .venv/bin/python bench/registration/run.py --login http         (sign in over HTTP as well)

It starts a throwaway PostgreSQL (bin/postgres-for-tests, or uses DATABASE_URL if set), migrates,
loads the meeting, opens its registration window around now and sets its in-person capacity. The
sign-up and the e-mail verification are made beforehand, in bulk: the verification link travels
by mail, which a load generator outside the site cannot read. By default each participant also
starts with a signed-in session made beforehand, because checking a password costs a PBKDF2 hash
(about half a second of CPU) that would measure the hasher rather than registration;
`--login http` signs in through the login form instead.

Every participant then, all at once: GET the registration form (with `--login http`: GET and POST
the login form first) and POST it, choosing in person and the first category that offers in-person
places without approval. The figures: registrations per second, p50/p99 of the register POST and
of the whole journey, then from the database: confirmed (must equal the capacity), waiting (the
rest), errors (answers other than the redirect to "my registration"), lost (acknowledged but
without a row) and duplicates (must be 0). It exits non-zero when any of those is wrong. Last,
the peak resident memory (VmHWM) of each gunicorn worker. Everything it starts is stopped on exit.
"""

import argparse
import concurrent.futures
import http.client
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
EVENT_SLUG = "cross-border-cooperation-2024"
PASSWORD = "bench-Registration-2024!"
EMAIL_DOMAIN = "bench.invalid"
PRIMERS = 4
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def load_agenda_bench():
    # Shared with the agenda benchmark: its gunicorn wrapper, free port and database preparation.
    # Loaded by path: both scripts are called run.py, so `import run` would find this one.
    spec = importlib.util.spec_from_file_location("bench_agenda_run", REPO / "bench/agenda/run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--capacity", type=int, default=60, help="in-person places")
    parser.add_argument(
        "--login",
        choices=["session", "http"],
        default="session",
        help="session: signed-in sessions made beforehand; http: sign in through the login form",
    )
    parser.add_argument(
        "--time-limit", type=float, default=600.0, help="seconds the storm may take at most"
    )
    parser.add_argument(
        "--language", default="en", help="a language of settings.LANGUAGES: its address prefix"
    )
    arguments = parser.parse_args()
    if not 1 <= arguments.participants <= 2000:
        parser.error("--participants must be between 1 and 2000")
    if not 1 <= arguments.capacity <= arguments.participants:
        parser.error("--capacity must be between 1 and --participants")
    if not 0 < arguments.time_limit <= 1200:
        parser.error("--time-limit must be between 0 and 1200 seconds")
    return arguments


# Setup and checks run inside Django (manage.py shell), and write their answer to a file: the
# site's logs go to standard output.
SETUP_CODE = """
import datetime, json, os
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.utils import timezone
from agenda.models import Event
from registration.models import Registration, RegistrationSettings

User = get_user_model()
n, capacity = int(os.environ["BENCH_PARTICIPANTS"]), int(os.environ["BENCH_CAPACITY"])
# A few more accounts only open the form before the storm, so that each worker has loaded its
# templates and translations: a cold start is not what the figures describe.
n += int(os.environ["BENCH_PRIMERS"])
domain = os.environ["BENCH_EMAIL_DOMAIN"]
event = Event.objects.get(slug=os.environ["BENCH_EVENT"])
others = Registration.objects.filter(event=event).exclude(user__email__endswith="@" + domain)
if others.exists():
    raise SystemExit(f"the event already has {others.count()} registrations: use an empty database")
with transaction.atomic():
    User.objects.filter(email__endswith="@" + domain).delete()
    now = timezone.now()
    RegistrationSettings.objects.update_or_create(
        event=event,
        defaults={
            "opens_at": now - datetime.timedelta(hours=1),
            "closes_at": now + datetime.timedelta(days=1),
            "in_person_places": capacity,
        },
    )
    # One hash for all: hashing 500 passwords one by one would take minutes.
    password = make_password(os.environ["BENCH_PASSWORD"])
    users = User.objects.bulk_create(
        User(username=f"bench{i}", email=f"bench{i}@{domain}", password=password)
        for i in range(n)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
category = next(
    c for c in event.audience_categories.filter(is_active=True).order_by("order", "pk")
    if c.allows_in_person and not c.needs_approval
)
participants = []
for user in users:
    session = SessionStore()
    if os.environ["BENCH_LOGIN"] == "session":
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
    participants.append({"email": user.email, "session": session.session_key})
with open(os.environ["BENCH_OUTPUT"], "w") as output:
    json.dump({"category": category.pk, "category_key": category.key,
               "participants": participants}, output)
"""

COUNT_CODE = """
import json, os
from django.db.models import Count
from registration.models import Registration, RegistrationSettings

rows = Registration.objects.filter(event__slug=os.environ["BENCH_EVENT"])
by_status = dict(rows.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
duplicates = rows.values("user").annotate(n=Count("pk")).filter(n__gt=1).count()
with open(os.environ["BENCH_OUTPUT"], "w") as output:
    json.dump({"by_status": by_status, "duplicates": duplicates,
               "emails": list(rows.values_list("user__email", flat=True))}, output)
"""


def django_shell(env, code, output_path, extra_env):
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=REPO,
        env={**env, **extra_env, "BENCH_OUTPUT": str(output_path)},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if completed.returncode != 0:
        raise SystemExit(f"manage.py shell failed:\n{completed.stdout}{completed.stderr}")
    return json.loads(Path(output_path).read_text())


class Client:
    """One participant's browser: its own cookies, one connection per request."""

    def __init__(self, port, session_key, timeout=120.0):
        self.port = port
        self.timeout = timeout
        # Kept by hand rather than with http.cookiejar: the cookies are marked Secure, and this
        # client talks plain HTTP to gunicorn, as the TLS proxy does.
        self.cookies = {"sessionid": session_key} if session_key else {}

    def request(self, method, path, fields=None):
        # As behind the TLS proxy of production: the site's HTTPS redirect, secure cookies and
        # CSRF origin check stay as they are deployed.
        headers = {
            "Host": f"{HOST}:{self.port}",
            "X-Forwarded-Proto": "https",
            "Origin": f"https://{HOST}:{self.port}",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.getheader("Location", ""), content
        finally:
            connection.close()

    def csrf_from(self, content):
        match = CSRF_INPUT.search(content)
        return match.group(1).decode() if match else ""


def journey(port, participant, arguments, category, start_barrier, deadline):
    """One participant's registration; returns what happened and how long it took."""
    prefix = f"/{arguments.language}"
    register_path = f"{prefix}/events/{EVENT_SLUG}/register/"
    result = {"email": participant["email"], "outcome": "error", "detail": ""}
    try:
        start_barrier.wait()
    except threading.BrokenBarrierError:
        result["detail"] = "interrupted"
        return result
    started = time.perf_counter()
    # 500 journeys queue at 2 workers: a request may wait minutes, up to the time limit.
    client = Client(
        port,
        participant["session"] if arguments.login == "session" else None,
        timeout=max(1.0, deadline - started),
    )
    try:
        if arguments.login == "http":
            status, _, content = client.request("GET", f"{prefix}/accounts/login/")
            status, location, _ = client.request(
                "POST",
                f"{prefix}/accounts/login/",
                {
                    "csrfmiddlewaretoken": client.csrf_from(content),
                    "login": participant["email"],
                    "password": PASSWORD,
                },
            )
            if status != 302:
                result["detail"] = f"login answered {status}"
                return result
        if time.perf_counter() > deadline:
            result["detail"] = "time limit reached"
            return result
        status, location, content = client.request("GET", register_path)
        token = client.csrf_from(content)
        if status != 200 or not token:
            result["detail"] = f"GET register answered {status} {location}".strip()
            return result
        fields = {
            "csrfmiddlewaretoken": token,
            "attendance_mode": "in_person",
            "category": str(category),
            "honorific": "",
            "full_name": f"Bench Participant {participant['email'].split('@')[0]}",
            "position": "Analyst",
            "organisation": "Ministry of Foreign Trade",
            "country": "PE",
            "phone": "",
            "preferred_language": arguments.language,
            "dietary_needs": "",
            "accessibility_needs": "",
            "privacy_consent": "on",
            "website": "",
        }
        posted = time.perf_counter()
        status, location, content = client.request("POST", register_path, fields)
        finished = time.perf_counter()
        result.update(post_started=posted, post_s=finished - posted, journey_s=finished - started)
        if status == 302 and "/my-registration/" in location:
            result["outcome"] = "acknowledged"
        else:
            result["detail"] = f"POST register answered {status} {location}".strip()
    except OSError as error:
        result["detail"] = f"{type(error).__name__}: {error}"
    return result


def prime(port, primers, arguments):
    """Signed-in accounts that open the form a few times each, over parallel connections."""
    paths = [
        f"/{arguments.language}/events/{EVENT_SLUG}/register/",
        f"/{arguments.language}/events/{EVENT_SLUG}/agenda/",
    ]

    def open_pages(primer):
        client = Client(port, primer["session"])
        if arguments.login == "http":
            status, _, content = client.request("GET", f"/{arguments.language}/accounts/login/")
            client.request(
                "POST",
                f"/{arguments.language}/accounts/login/",
                {
                    "csrfmiddlewaretoken": client.csrf_from(content),
                    "login": primer["email"],
                    "password": PASSWORD,
                },
            )
        for _ in range(3):
            for path in paths:
                client.request("GET", path)

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(primers)) as pool:
        list(pool.map(open_pages, primers))


def percentiles(values):
    if len(values) < 2:
        return (values[0] * 1000,) * 2 if values else (float("nan"),) * 2
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def worker_memory(master_pid):
    """Peak resident memory (VmHWM) of each gunicorn worker, in MiB, by pid."""
    peaks = {}
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return peaks
    for pid in children:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[int(pid)] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return peaks


def site_environment(postgres_state):
    """The site's settings for a benchmark: production's, on plain HTTP, without rate limits."""
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "RATE_LIMITS_ENABLED": "false",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        # The mail goes through the task queue as in production; it is stored, never sent: no
        # worker runs, so no SMTP server is needed.
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "POSTGRES_FOR_TESTS_STATE": postgres_state,
    }


def main():
    arguments = parse_arguments()
    agenda_bench = load_agenda_bench()
    workdir = Path(tempfile.mkdtemp(prefix="bench-registration-"))
    postgres_state = os.environ.get("POSTGRES_FOR_TESTS_STATE", "/tmp/bench-pg.env")
    env = site_environment(postgres_state)
    own_postgres = not os.environ.get("DATABASE_URL")
    server = pool = barrier = None
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        if own_postgres:
            env["DATABASE_URL"] = agenda_bench.start_postgres(env)
        database = env["DATABASE_URL"].split(":", 1)[0]
        print(f"Preparing the database ({database}): migrate, load_meeting …", flush=True)
        agenda_bench.prepare_database(env)
        print(
            f"Making {arguments.participants} verified accounts"
            + (" with signed-in sessions" if arguments.login == "session" else "")
            + f"; in-person capacity {arguments.capacity} …",
            flush=True,
        )
        setup = django_shell(
            env,
            SETUP_CODE,
            workdir / "setup.json",
            {
                "BENCH_PARTICIPANTS": str(arguments.participants),
                "BENCH_CAPACITY": str(arguments.capacity),
                "BENCH_EMAIL_DOMAIN": EMAIL_DOMAIN,
                "BENCH_EVENT": EVENT_SLUG,
                "BENCH_PASSWORD": PASSWORD,
                "BENCH_LOGIN": arguments.login,
                "BENCH_PRIMERS": str(PRIMERS),
            },
        )
        server = agenda_bench.Server("site", "forum.wsgi:application", env, workdir / "site.log")
        server.wait_until_ready(f"/{arguments.language}/events/{EVENT_SLUG}/agenda/")
        participants = setup["participants"][: arguments.participants]
        prime(server.port, setup["participants"][arguments.participants :], arguments)
        print(
            f"gunicorn 2 sync workers on {HOST}:{server.port}, DEBUG off, {database};"
            f" {len(participants)} participants at once, category “{setup['category_key']}”, in"
            f" person.\nSign-up and e-mail verification are made beforehand (the link travels by"
            f" mail); sign-in: "
            + (
                "sessions made beforehand."
                if arguments.login == "session"
                else "through the login form."
            )
            + f"\nThe load generator shares this machine's {os.cpu_count()} cores with the server"
            f" and PostgreSQL.\n",
            flush=True,
        )
        barrier = threading.Barrier(len(participants))
        started = time.perf_counter()
        deadline = started + arguments.time_limit
        # Not a with block: on Ctrl+C the server is stopped first (below), so that the waiting
        # threads fail at once instead of holding the exit until their requests time out.
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(participants))
        futures = [
            pool.submit(
                journey,
                server.port,
                participant,
                arguments,
                setup["category"],
                barrier,
                deadline,
            )
            for participant in participants
        ]
        results = [future.result() for future in futures]
        elapsed = time.perf_counter() - started
        memory = worker_memory(server.process.pid)
        counts = django_shell(env, COUNT_CODE, workdir / "counts.json", {"BENCH_EVENT": EVENT_SLUG})
        failed = report(arguments, results, elapsed, counts, memory)
        if failed:
            tail = Path(workdir / "site.log").read_text(errors="replace")[-3000:]
            if tail.strip():
                print(f"\nEnd of the gunicorn log:\n{tail}")
            raise SystemExit("FAILED: " + "; ".join(failed))
    finally:
        if barrier is not None:
            barrier.abort()
        if server is not None:
            server.stop()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if own_postgres:
            agenda_bench.stop_postgres(env)
        shutil.rmtree(workdir, ignore_errors=True)


def report(arguments, results, elapsed, counts, memory):
    acknowledged = [r for r in results if r["outcome"] == "acknowledged"]
    errors = [r for r in results if r["outcome"] != "acknowledged"]
    posts = [r["post_s"] for r in acknowledged]
    journeys = [r["journey_s"] for r in acknowledged]
    if acknowledged:
        first_post = min(r["post_started"] for r in acknowledged)
        last_done = max(r["post_started"] + r["post_s"] for r in acknowledged)
        storm = last_done - first_post
    else:
        storm = float("nan")
    rows = counts["emails"]
    with_row = set(rows)
    lost = [r["email"] for r in acknowledged if r["email"] not in with_row]
    unacknowledged_rows = {r["email"] for r in errors} & with_row
    confirmed = counts["by_status"].get("confirmed", 0)
    waiting = counts["by_status"].get("waiting_list", 0)
    others = {
        k: v for k, v in counts["by_status"].items() if k not in ("confirmed", "waiting_list")
    }
    post_p50, post_p99 = percentiles(posts)
    journey_p50, journey_p99 = percentiles(journeys)
    print(f"Storm finished in {elapsed:.1f} s (register POSTs spread over {storm:.1f} s).")
    print(
        f"  registrations per second  {len(acknowledged) / storm if storm else 0:8.1f}"
        f"   ({len(acknowledged)} acknowledged registrations / {storm:.1f} s)"
    )
    print(f"  register POST latency     p50 {post_p50:8.0f} ms   p99 {post_p99:8.0f} ms")
    print(f"  whole journey latency     p50 {journey_p50:8.0f} ms   p99 {journey_p99:8.0f} ms")
    expected_waiting = arguments.participants - arguments.capacity
    print(f"  confirmed                 {confirmed:8d}   (capacity {arguments.capacity})")
    print(f"  waiting list              {waiting:8d}   (expected {expected_waiting})")
    if others:
        print(f"  other statuses            {others}")
    print(f"  errors                    {len(errors):8d}")
    for detail in sorted({r["detail"] for r in errors})[:10]:
        print(f"      {sum(r['detail'] == detail for r in errors)} × {detail}")
    print(f"  lost                      {len(lost):8d}   (acknowledged, no row)")
    print(f"  rows not acknowledged     {len(unacknowledged_rows):8d}   (error answer, row kept)")
    print(f"  duplicates                {counts['duplicates']:8d}")
    print("Peak resident memory (VmHWM) of each gunicorn worker after the run:")
    for pid, mebibytes in sorted(memory.items()):
        print(f"  worker {pid}: {mebibytes:.1f} MiB")
    failed = []
    if confirmed != arguments.capacity:
        failed.append(f"confirmed {confirmed} != capacity {arguments.capacity}")
    if lost:
        failed.append(f"{len(lost)} lost")
    if counts["duplicates"]:
        failed.append(f"{counts['duplicates']} duplicates")
    if errors:
        failed.append(f"{len(errors)} errors")
    if not errors and waiting != expected_waiting:
        failed.append(f"waiting {waiting} != {expected_waiting}")
    return failed


if __name__ == "__main__":
    load_agenda_bench().use_the_project_environment()
    main()
