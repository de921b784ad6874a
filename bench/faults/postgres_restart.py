"""
Fault test: PostgreSQL restarted in the middle of a load of registrations and agenda requests.

    .venv/bin/python bench/faults/postgres_restart.py
    .venv/bin/python bench/faults/postgres_restart.py --outage 5 --after 15

It starts a throwaway PostgreSQL (bin/postgres-for-tests, its own state file), prepares the meeting
as bench/registration does (verified accounts with signed-in sessions made beforehand), serves
the site with gunicorn (2 workers, production settings) and runs a steady load: participants
registering (GET and POST of the form) and visitors reading the agenda page. After --before
seconds it stops PostgreSQL (pg_ctl stop, fast mode), keeps it down --outage seconds, starts it
again and goes on for --after seconds. It prints what the site answered before, during and after
the outage (status codes, and whether the outage answers were a 503 "try again" page), how long
the site took to answer normally again once PostgreSQL was back, and checks in the database that
every registration acknowledged to a participant (redirect to "my registration") exists, once.
"""

import argparse
import collections
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def load(name, relative_path):
    spec = importlib.util.spec_from_file_location(name, REPO / relative_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


registration_bench = load("bench_registration_run", "bench/registration/run.py")
agenda_bench = registration_bench.load_agenda_bench()
EVENT_SLUG = registration_bench.EVENT_SLUG


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=400, help="accounts made available")
    parser.add_argument("--capacity", type=int, default=60)
    parser.add_argument("--registering", type=int, default=8, help="threads registering")
    parser.add_argument("--reading", type=int, default=4, help="threads reading the agenda")
    parser.add_argument("--before", type=float, default=5.0, help="seconds of load before")
    parser.add_argument("--outage", type=float, default=5.0, help="seconds PostgreSQL is down")
    parser.add_argument("--after", type=float, default=15.0, help="seconds of load after")
    parser.add_argument("--show-log", action="store_true", help="print gunicorn's error log")
    arguments = parser.parse_args()
    total = arguments.before + arguments.outage + arguments.after
    if not 0 < total <= 300:
        parser.error("--before + --outage + --after must be between 0 and 300 seconds")
    return arguments


def pg_ctl(state, *arguments):
    values = dict(
        line.split("=", 1) for line in Path(state).read_text().splitlines() if "=" in line
    )
    command = [
        f"{values['PGTEST_BIN']}/pg_ctl",
        *arguments,
        f"--pgdata={values['PGTEST_DIR']}/data",
    ]
    if os.getuid() == 0:
        # As bin/postgres-for-tests does: PostgreSQL refuses to run as root.
        command = ["runuser", "-u", "nobody", "--", *command]
    if "start" in arguments:
        command.append(f"--log={values['PGTEST_DIR']}/postgres.log")
    subprocess.run(command, cwd="/", check=True, capture_output=True)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.events = []  # (finished, started, kind, status, detail)
        self.outage_bodies = {}
        self.acknowledged = []

    def add(self, started, kind, status, detail="", body=b""):
        finished = time.perf_counter()
        with self.lock:
            self.events.append((finished, started, kind, status, detail))
            if isinstance(status, int) and status >= 500 and status not in self.outage_bodies:
                self.outage_bodies[status] = body


def registering(port, participants, recorder, stop, language="en"):
    path = f"/{language}/events/{EVENT_SLUG}/register/"
    while not stop.is_set():
        try:
            participant = participants.pop()
        except IndexError:
            return
        client = registration_bench.Client(port, participant["session"], timeout=30)
        started = time.perf_counter()
        try:
            status, location, content = client.request("GET", path)
        except OSError as error:
            recorder.add(started, "GET register", type(error).__name__)
            retry_later(participants, participant)
            continue
        recorder.add(started, "GET register", status, location, content)
        token = client.csrf_from(content)
        if status != 200 or not token:
            retry_later(participants, participant)
            continue
        fields = {
            "csrfmiddlewaretoken": token,
            "attendance_mode": "in_person",
            "category": str(participants.category),
            "full_name": "Fault Test Participant",
            "position": "Analyst",
            "organisation": "Ministry of Foreign Trade",
            "country": "PE",
            "preferred_language": language,
            "privacy_consent": "on",
        }
        started = time.perf_counter()
        try:
            status, location, content = client.request("POST", path, fields)
        except OSError as error:
            recorder.add(started, "POST register", type(error).__name__)
            retry_later(participants, participant)
            continue
        recorder.add(started, "POST register", status, location, content)
        if status == 302 and "/my-registration/" in location:
            with recorder.lock:
                recorder.acknowledged.append(participant["email"])
        else:
            retry_later(participants, participant)


def retry_later(participants, participant):
    """As the 503 page asks: the participant tries again, after the others waiting."""
    participants.insert(0, participant)


def reading(port, recorder, stop, language="en"):
    path = f"/{language}/events/{EVENT_SLUG}/agenda/"
    client = registration_bench.Client(port, None, timeout=30)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status, location, content = client.request("GET", path)
        except OSError as error:
            recorder.add(started, "GET agenda", type(error).__name__)
            continue
        recorder.add(started, "GET agenda", status, location, content)


class Participants(list):
    category = None


def ok(status):
    return isinstance(status, int) and status < 400


def main():
    arguments = parse_arguments()
    workdir = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    state = os.environ.get("POSTGRES_FOR_TESTS_STATE", "/tmp/bench-pg-faults.env")
    env = registration_bench.site_environment(state)
    env.pop("DATABASE_URL", None)
    server = None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        env["DATABASE_URL"] = agenda_bench.start_postgres(env)
        print("Preparing the database: migrate, load_meeting, accounts …", flush=True)
        agenda_bench.prepare_database(env)
        setup = registration_bench.django_shell(
            env,
            registration_bench.SETUP_CODE,
            workdir / "setup.json",
            {
                "BENCH_PARTICIPANTS": str(arguments.participants),
                "BENCH_CAPACITY": str(arguments.capacity),
                "BENCH_EMAIL_DOMAIN": registration_bench.EMAIL_DOMAIN,
                "BENCH_EVENT": EVENT_SLUG,
                "BENCH_PASSWORD": registration_bench.PASSWORD,
                "BENCH_LOGIN": "session",
                "BENCH_PRIMERS": "0",
            },
        )
        participants = Participants(reversed(setup["participants"]))
        participants.category = setup["category"]
        server = agenda_bench.Server("site", "forum.wsgi:application", env, workdir / "site.log")
        server.wait_until_ready(f"/en/events/{EVENT_SLUG}/agenda/")
        recorder = Recorder()
        threads = [
            threading.Thread(target=registering, args=(server.port, participants, recorder, stop))
            for _ in range(arguments.registering)
        ] + [
            threading.Thread(target=reading, args=(server.port, recorder, stop))
            for _ in range(arguments.reading)
        ]
        print(
            f"Load: {arguments.registering} threads registering, {arguments.reading} reading the"
            f" agenda; PostgreSQL stopped after {arguments.before:g} s for {arguments.outage:g} s,"
            f" then {arguments.after:g} s more.",
            flush=True,
        )
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(arguments.before)
        stopping = time.perf_counter()
        pg_ctl(state, "stop", "--mode=fast", "--wait")
        stopped = time.perf_counter()
        time.sleep(arguments.outage)
        starting = time.perf_counter()
        pg_ctl(state, "start", "--wait", "--timeout=60")
        back = time.perf_counter()
        time.sleep(arguments.after)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        memory = registration_bench.worker_memory(server.process.pid)
        counts = registration_bench.django_shell(
            env, registration_bench.COUNT_CODE, workdir / "counts.json", {"BENCH_EVENT": EVENT_SLUG}
        )
        failed = report(
            recorder, began, stopping, stopped, starting, back, counts, memory, arguments
        )
        if failed or arguments.show_log:
            tail = (workdir / "site.log").read_text(errors="replace")[-4000:]
            print(f"\nEnd of the gunicorn error log:\n{tail}")
        if failed:
            raise SystemExit("FAILED: " + "; ".join(failed))
    finally:
        stop.set()
        if server is not None:
            server.stop()
        agenda_bench.stop_postgres(env)
        shutil.rmtree(workdir, ignore_errors=True)


def report(recorder, began, stopping, stopped, starting, back, counts, memory, arguments):
    # By the time the answer came: a request sent just before the stop may wait in gunicorn's queue
    # and be answered during the outage.
    phases = collections.OrderedDict(
        [
            (f"answered before the stop (0–{stopping - began:.1f} s)", lambda e: e[0] < stopping),
            (
                f"answered during the outage ({stopping - began:.1f}–{back - began:.1f} s: stop,"
                " down, start)",
                lambda e: stopping <= e[0] < back,
            ),
            ("answered after PostgreSQL was back", lambda e: e[0] >= back),
        ]
    )
    print(
        f"\nPostgreSQL: stop took {stopped - stopping:.2f} s, down {starting - stopped:.2f} s,"
        f" start took {back - starting:.2f} s."
    )
    for label, in_phase in phases.items():
        tally = collections.Counter(f"{e[2]} → {e[3]}" for e in recorder.events if in_phase(e))
        print(f"  {label}:")
        for key, count in sorted(tally.items()):
            print(f"      {count:6d} × {key}")
    print("  timeline, per second since the start: successful/failed answers")
    seconds = collections.defaultdict(lambda: [0, 0])
    for event in recorder.events:
        seconds[int(event[0] - began)][0 if ok(event[3]) else 1] += 1
    print("      " + " ".join(f"{s}:{seconds[s][0]}/{seconds[s][1]}" for s in sorted(seconds)))
    outage_answers = [e for e in recorder.events if stopping <= e[0] < back and not ok(e[3])]
    for status, body in sorted(recorder.outage_bodies.items()):
        text = re.sub(rb"<[^>]+>", b" ", body)
        text = re.sub(rb"\s+", b" ", text).decode(errors="replace").strip()
        print(f"  first {status} page says: {text[:300]!r}")
    service_unavailable = [e for e in outage_answers if e[3] == 503]
    print(
        f"  outage answers: {len(outage_answers)} not successful, of which {len(service_unavailable)}"
        f" are 503"
    )
    failures_after = [e for e in recorder.events if e[1] >= back and not ok(e[3])]
    first_ok = min((e[0] for e in recorder.events if e[1] >= back and ok(e[3])), default=None)
    last_failure = max((e[0] for e in recorder.events if not ok(e[3])), default=None)
    if first_ok is None:
        print("  recovery: no successful answer after PostgreSQL came back")
    else:
        print(
            f"  recovery: first successful answer {first_ok - back:.2f} s after PostgreSQL was"
            f" back; last failed answer at {(last_failure - back) if last_failure else 0:+.2f} s;"
            f" {len(failures_after)} failed answers to requests sent after it was back"
        )
    rows = set(counts["emails"])
    lost = [email for email in recorder.acknowledged if email not in rows]
    print(
        f"  acknowledged registrations {len(recorder.acknowledged)}, rows"
        f" {len(counts['emails'])} {counts['by_status']}, lost {len(lost)},"
        f" duplicates {counts['duplicates']}"
    )
    print("Peak resident memory (VmHWM) of each gunicorn worker after the run:")
    for pid, mebibytes in sorted(memory.items()):
        print(f"  worker {pid}: {mebibytes:.1f} MiB")
    failed = []
    if lost:
        failed.append(f"{len(lost)} acknowledged registrations lost")
    if counts["duplicates"]:
        failed.append(f"{counts['duplicates']} duplicates")
    if first_ok is None:
        failed.append("the site did not recover")
    if len(service_unavailable) != len(outage_answers):
        failed.append(
            f"{len(outage_answers) - len(service_unavailable)} outage answers were not 503"
        )
    if failures_after and last_failure - back > 5:
        failed.append("failures went on more than 5 s after PostgreSQL was back")
    return failed


if __name__ == "__main__":
    agenda_bench.use_the_project_environment()
    main()
