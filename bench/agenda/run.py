"""
Agenda benchmark: the meeting's agenda page and its .ics under concurrent load, beside a trivial WSGI
app returning the same bytes, both served by gunicorn with 2 workers on loopback in the same run.

    .venv/bin/python bench/agenda/run.py            (or: make bench)
    .venv/bin/python bench/agenda/run.py --postgres --duration 10 --concurrency 8 32

The site is measured twice: with its page cache (cached) and with the page cache off
(PAGE_CACHE_URL=dummycache://, uncached: every request draws the page, from what the process keeps
while the agenda is unchanged, as for a time zone or language not drawn yet; bench/agenda/scaling.py
times the draws after an edit or a deploy). The load generator is wrk (Debian package `wrk`) when it is installed, as the anchors
were measured, a Python one otherwise (--load-generator). Both servers read the repository's
gunicorn.conf.py, as production does; the resident memory of the site's workers after the load is
printed at the end.

It builds a throwaway SQLite database (a throwaway PostgreSQL with --postgres, or the database in
DATABASE_URL if that is set: it is migrated and the meeting loaded into it), runs `migrate` and
`load_meeting`, serves the site with DEBUG off, captures each page once, serves those bytes from
trivial_app.py, and measures both. It prints requests per second and p50/p99 latency, and the
ratio site/trivial, which is the figure to report: absolute numbers depend on the machine, the
ratio much less. Everything it starts is stopped on exit; results also go to bench/results/.
"""

import argparse
import concurrent.futures
import http.client
import json
import multiprocessing
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
MAX_DURATION = 10.0
# A hard cap per client thread on top of the time limit, so no loop can run away.
MAX_REQUESTS_PER_THREAD = 500_000
HOP_BY_HOP_HEADERS = {"connection", "date", "server", "transfer-encoding", "keep-alive"}


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--event", default="cross-border-cooperation-2024", help="event slug")
    parser.add_argument(
        "--language", default="es", help="a language of settings.LANGUAGES: its address prefix"
    )
    parser.add_argument(
        "--path",
        action="append",
        metavar="NAME=PATH",
        help="measure these paths instead of the agenda page and the meeting's .ics (repeatable)",
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[8, 32], help="concurrent connections"
    )
    parser.add_argument(
        "--page-cache",
        choices=["both", "on", "off"],
        default="both",
        help="measure the site with its page cache (on), without it (off), or both",
    )
    parser.add_argument(
        "--load-generator",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="wrk if installed (auto), or the Python generator",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=5.0,
        help=f"seconds measured per server and case (≤ {MAX_DURATION})",
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds run before measuring")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="processes of the load generator, each with its share of the connections",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="run against a throwaway PostgreSQL (bin/postgres-for-tests) instead of SQLite",
    )
    arguments = parser.parse_args()
    if not 0 < arguments.duration <= MAX_DURATION:
        parser.error(f"--duration must be between 0 and {MAX_DURATION} seconds")
    if not 0 <= arguments.warmup <= MAX_DURATION:
        parser.error(f"--warmup must be between 0 and {MAX_DURATION} seconds")
    if min(arguments.concurrency) < 1 or max(arguments.concurrency) > 512:
        parser.error("--concurrency must be between 1 and 512")
    wrk = shutil.which("wrk")
    if arguments.load_generator == "wrk" and wrk is None:
        parser.error("wrk is not installed (apt-get install wrk)")
    arguments.wrk = wrk if arguments.load_generator in ("auto", "wrk") else None
    if arguments.path:
        try:
            arguments.targets = [tuple(item.split("=", 1)) for item in arguments.path]
        except ValueError:
            parser.error("--path takes NAME=PATH")
        if any(len(target) != 2 or not target[1].startswith("/") for target in arguments.targets):
            parser.error("--path takes NAME=PATH, the path starting with /")
    else:
        prefix = f"/{arguments.language}/events/{arguments.event}"
        arguments.targets = [
            ("agenda page", f"{prefix}/agenda/"),
            ("meeting .ics", f"{prefix}/calendar.ics"),
        ]
    return arguments


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """A gunicorn in its own process group, so stopping it stops its workers too."""

    def __init__(self, name, app, env, log_path, extra_arguments=()):
        self.name = name
        self.port = free_port()
        self.log_path = log_path
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--workers=2",
            f"--bind={HOST}:{self.port}",
            "--log-level=warning",
            f"--error-logfile={log_path}",
            "--graceful-timeout=5",
            *extra_arguments,
        ]
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=env,
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self, path, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                get(self.port, path)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        log = Path(self.log_path).read_text(errors="replace")[-4000:]
        raise SystemExit(f"{self.name}: gunicorn did not come up on port {self.port}.\n{log}")

    def stop(self):
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def get(port, path):
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.reason, response.getheaders(), response.read()
    finally:
        connection.close()


def _client_thread(port, path, first_measured, end, latencies, failures):
    # Gunicorn's sync workers close the connection after each response anyway; asking for it
    # lets the client read to the end of the stream instead of parsing HTTP, which keeps the
    # load generator cheap on a machine whose cores it shares with the servers.
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode()
    for _ in range(MAX_REQUESTS_PER_THREAD):
        started = time.perf_counter()
        if started >= end:
            return
        try:
            with socket.create_connection((HOST, port), timeout=30) as connection:
                connection.sendall(request)
                head = connection.recv(65536)
                while connection.recv(65536):
                    pass
            succeeded = head.startswith(b"HTTP/1.1 200 ")
        except OSError:
            succeeded = False
        finished = time.perf_counter()
        # Throughput counts the requests completed inside the window, whenever they started.
        if first_measured <= finished <= end:
            if succeeded:
                latencies.append(finished - started)
            else:
                failures[0] += 1


def client_process(port, path, threads, start_wall_clock, warmup, duration):
    """One process of the load generator: `threads` connections, each requesting in a loop."""
    # Processes agree on a wall-clock start, then each times on its own monotonic clock.
    start = time.perf_counter() + (start_wall_clock - time.time())
    first_measured = start + warmup
    end = first_measured + duration
    time.sleep(max(0.0, start - time.perf_counter()))
    latencies = [array("d") for _ in range(threads)]
    failures = [[0] for _ in range(threads)]
    workers = [
        threading.Thread(
            target=_client_thread,
            args=(port, path, first_measured, end, latencies[index], failures[index]),
        )
        for index in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    merged = array("d")
    for thread_latencies in latencies:
        merged.extend(thread_latencies)
    return merged.tobytes(), sum(failure[0] for failure in failures)


def load(pool, processes, port, path, concurrency, warmup, duration):
    """Runs the load generator once; returns the latencies measured and the failures."""
    shares = [
        concurrency // processes + (1 if index < concurrency % processes else 0)
        for index in range(processes)
    ]
    start_wall_clock = time.time() + 0.5
    futures = [
        pool.submit(client_process, port, path, share, start_wall_clock, warmup, duration)
        for share in shares
        if share
    ]
    latencies = array("d")
    failures = 0
    for future in futures:
        raw_latencies, process_failures = future.result()
        latencies.frombytes(raw_latencies)
        failures += process_failures
    return latencies, failures


def _wrk_milliseconds(text):
    value = float(text[:-2] if text.endswith(("us", "ms")) else text[:-1])
    return value / 1000 if text.endswith("us") else value if text.endswith("ms") else value * 1000


def wrk_load(wrk, port, path, concurrency, warmup, duration):
    """
    One run of wrk (2 threads, `concurrency` connections): requests completed, failures, p50 and
    p99 in milliseconds. Gunicorn's sync workers close each connection; wrk opens the next.
    """
    address = f"http://{HOST}:{port}{path}"
    threads = str(min(2, concurrency))
    # The Python generator's 30 s timeout: wrk's own 2 s would count an uncached page queued
    # behind 32 connections on a busy machine as a failure rather than as its latency.
    command = [wrk, "-t", threads, "-c", str(concurrency), "--timeout", "30s"]
    if warmup:
        subprocess.run(
            [*command, "-d", f"{warmup}s", address],
            capture_output=True,
            check=True,
        )
    completed = subprocess.run(
        [*command, "-d", f"{duration}s", "--latency", address],
        capture_output=True,
        text=True,
        check=True,
    )
    # "N requests" counts every response, errors included; connection errors and timeouts are
    # only in "Socket errors".
    responses, not_ok, socket_errors, percentiles = 0, 0, 0, {}
    for line in completed.stdout.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1] == "requests" and words[0].isdigit():
            responses = int(words[0])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            not_ok = int(words[-1])
        elif line.strip().startswith("Socket errors:"):
            socket_errors = sum(int(part.strip(",")) for part in words if part.strip(",").isdigit())
        elif len(words) == 2 and words[0] in ("50%", "99%"):
            percentiles[words[0]] = _wrk_milliseconds(words[1])
    return responses - not_ok, not_ok + socket_errors, percentiles


def measure_both_with_wrk(wrk, servers, path, concurrency, warmup, duration):
    """
    As measure_both, with wrk: A B B A halves, latencies the mean of each server's halves. wrk
    takes whole seconds: each half lasts `duration` / 2 rounded, at least one second.
    """
    half = max(1, round(duration / 2))
    warmup = round(warmup)
    totals = {
        server.name: {"requests": 0, "failures": 0, "p50": [], "p99": []} for server in servers
    }
    for server in [*servers, *reversed(servers)]:
        requests, failures, percentiles = wrk_load(
            wrk, server.port, path, concurrency, warmup, half
        )
        total = totals[server.name]
        total["requests"] += requests
        total["failures"] += failures
        total["p50"].append(percentiles.get("50%", float("nan")))
        total["p99"].append(percentiles.get("99%", float("nan")))
    return {
        name: {
            "requests": total["requests"],
            "failures": total["failures"],
            "rps": total["requests"] / (2 * half),
            "p50_ms": statistics.fmean(total["p50"]),
            "p99_ms": statistics.fmean(total["p99"]),
        }
        for name, total in totals.items()
    }


def worker_memory_mb(server):
    """Resident memory of each of the server's workers (children of its gunicorn master), in MB."""
    try:
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
        pids = children.read_text().split()
    except OSError:
        return []
    sizes = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def measure_both(pool, processes, servers, path, concurrency, warmup, duration):
    """
    Measures each server for `duration` seconds in two halves, in the order A B B A, so that a
    change in the machine's background load during the run weighs on both alike.
    """
    latencies = {server.name: array("d") for server in servers}
    failures = dict.fromkeys(latencies, 0)
    for server in [*servers, *reversed(servers)]:
        half_latencies, half_failures = load(
            pool, processes, server.port, path, concurrency, warmup, duration / 2
        )
        latencies[server.name].extend(half_latencies)
        failures[server.name] += half_failures
    results = {}
    for name, measured in latencies.items():
        result = {"requests": len(measured), "failures": failures[name]}
        result["rps"] = len(measured) / duration
        if len(measured) >= 2:
            cuts = statistics.quantiles(measured, n=100, method="inclusive")
            result.update(p50_ms=cuts[49] * 1000, p99_ms=cuts[98] * 1000)
        else:
            result.update(p50_ms=float("nan"), p99_ms=float("nan"))
        results[name] = result
    return results


def start_postgres(env):
    """A throwaway PostgreSQL (bin/postgres-for-tests, state in env's POSTGRES_FOR_TESTS_STATE): its URL."""
    return subprocess.run(
        [REPO / "bin" / "postgres-for-tests", "start"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def stop_postgres(env):
    subprocess.run([REPO / "bin" / "postgres-for-tests", "stop"], env=env, check=False)


def prepare_database(env):
    for command in (["migrate", "--no-input"], ["load_meeting"]):
        completed = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if completed.returncode != 0:
            raise SystemExit(
                f"manage.py {' '.join(command)} failed:\n{completed.stdout}{completed.stderr}"
            )


def capture(site, targets, workdir):
    """Fetches each page once from the site; the trivial app will answer with these bytes."""
    captured = {}
    for index, (name, path) in enumerate(targets):
        status, reason, headers, body = get(site.port, path)
        if status != 200:
            raise SystemExit(
                f"{name}: {path} answered {status} {reason}; is the meeting loaded and the URL right?"
            )
        body_file = workdir / f"body-{index}"
        body_file.write_bytes(body)
        captured[path] = {
            "status": f"{status} {reason}",
            "headers": [
                (header, value)
                for header, value in headers
                if header.lower() not in HOP_BY_HOP_HEADERS
            ],
            "body_file": str(body_file),
        }
    captured_file = workdir / "captured.json"
    captured_file.write_text(json.dumps(captured))
    sizes = {
        path: Path(response["body_file"]).stat().st_size for path, response in captured.items()
    }
    return captured_file, sizes


def prime(server, targets, requests_per_path=20):
    """
    Requests every page a few times over a few connections before anything is measured, so that
    each worker has loaded its templates, translations and URL resolver: a cold start is not the
    steady state the figures describe.
    """

    def fetch_all():
        for _, path in targets:
            for _ in range(requests_per_path // 4):
                get(server.port, path)

    workers = [threading.Thread(target=fetch_all) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def print_row(label, result):
    print(
        f"    {label:<8} {result['rps']:>9.0f} req/s   p50 {result['p50_ms']:>7.1f} ms"
        f"   p99 {result['p99_ms']:>7.1f} ms   ({result['requests']} requests,"
        f" {result['failures']} failed)"
    )


def main():
    arguments = parse_arguments()
    workdir = Path(tempfile.mkdtemp(prefix="bench-agenda-"))
    servers = []
    postgres_state = workdir / "postgres-for-tests.env"
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        # Plain storage: the pages render without a collectstatic manifest.
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        # Plain HTTP on loopback: production's redirect to HTTPS would answer every request.
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "POSTGRES_FOR_TESTS_STATE": str(postgres_state),
    }
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    pool = None
    try:
        if arguments.postgres:
            env["DATABASE_URL"] = start_postgres(env)
        elif not os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
        database = env["DATABASE_URL"].split(":", 1)[0]
        print(f"Preparing the database ({database}): migrate, load_meeting …", flush=True)
        prepare_database(env)

        sites = []
        if arguments.page_cache in ("both", "on"):
            sites.append(Server("cached", "forum.wsgi:application", env, workdir / "site.log"))
        if arguments.page_cache in ("both", "off"):
            # No page cache: every request draws its page (the cold cache after an edit or a deploy).
            uncached_env = {**env, "PAGE_CACHE_URL": "dummycache://"}
            sites.append(
                Server("uncached", "forum.wsgi:application", uncached_env, workdir / "uncached.log")
            )
        servers.extend(sites)
        for site in sites:
            site.wait_until_ready(arguments.targets[0][1])
        captured_file, sizes = capture(sites[0], arguments.targets, workdir)
        env["BENCH_CAPTURED_RESPONSES"] = str(captured_file)
        trivial = Server(
            "trivial",
            "trivial_app:application",
            env,
            workdir / "trivial.log",
            [f"--pythonpath={BENCH_DIR}"],
        )
        servers.append(trivial)
        trivial.wait_until_ready(arguments.targets[0][1])
        for server in servers:
            prime(server, arguments.targets)

        processes = arguments.client_processes
        generator = (
            f"wrk ({arguments.wrk}, 2 threads)"
            if arguments.wrk
            else f"{processes} processes of Python threads, one connection per request"
        )
        print(
            f"gunicorn 2 sync workers each for the site (DEBUG off, {database}; page cache:"
            f" {', '.join(site.name for site in sites)}) and the trivial app, all with"
            f" gunicorn.conf.py; {arguments.duration:g} s measured per server and case, in two"
            f" halves (site, trivial, trivial, site), each after {arguments.warmup:g} s of"
            f" warm-up.\nThe load generator ({generator}) shares this machine's {os.cpu_count()}"
            f" cores with the servers: absolute figures are lower than on separate machines, the"
            f" ratio compares like with like.\n"
            f"Before the runs: {uptime()} (anything else running skews both).\n",
            flush=True,
        )
        if not arguments.wrk:
            pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=processes, mp_context=multiprocessing.get_context("spawn")
            )
        results = []
        for name, path in arguments.targets:
            print(f"{name}: GET {path} ({sizes[path]} bytes)")
            for site in sites:
                for concurrency in arguments.concurrency:
                    print(f"  {site.name}, {concurrency} concurrent connections")
                    if arguments.wrk:
                        measured = measure_both_with_wrk(
                            arguments.wrk,
                            [site, trivial],
                            path,
                            concurrency,
                            arguments.warmup,
                            arguments.duration,
                        )
                    else:
                        measured = measure_both(
                            pool,
                            processes,
                            [site, trivial],
                            path,
                            concurrency,
                            arguments.warmup,
                            arguments.duration,
                        )
                    for server_name, result in measured.items():
                        print_row(server_name, result)
                    trivial_rps = measured["trivial"]["rps"]
                    ratio = (
                        measured[site.name]["rps"] / trivial_rps if trivial_rps else float("nan")
                    )
                    print(
                        f"    ratio site/trivial: {ratio:.3f} of the requests per second",
                        flush=True,
                    )
                    results.append(
                        {
                            "name": name,
                            "path": path,
                            "bytes": sizes[path],
                            "page_cache": site.name,
                            "concurrency": concurrency,
                            "site": measured[site.name],
                            "trivial": measured["trivial"],
                            "ratio_rps": ratio,
                        }
                    )
        print("\nSummary, requests per second of the site / of the trivial app:")
        for result in results:
            print(
                f"  {result['name']:<14} {result['page_cache']:<9} {result['concurrency']:>3}"
                f" connections: {result['ratio_rps']:.3f}"
            )
        memory = {site.name: worker_memory_mb(site) for site in sites}
        for site_name, sizes_mb in memory.items():
            shown = ", ".join(f"{size:.0f} MB" for size in sizes_mb) or "unknown"
            print(f"Resident memory of the {site_name} site's workers after the load: {shown}")
        print(f"After the runs: {uptime()}")
        failed_requests = sum(r["site"]["failures"] + r["trivial"]["failures"] for r in results)
        write_results(arguments, database, results, memory)
        if failed_requests:
            raise SystemExit(f"{failed_requests} requests failed: the figures are not valid.")
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        for server in servers:
            server.stop()
        if arguments.postgres:
            stop_postgres(env)
        shutil.rmtree(workdir, ignore_errors=True)


def uptime():
    """What `uptime` prints: how busy the shared machine was around the figures."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + " ".join(f"{load:.2f}" for load in os.getloadavg())


def write_results(arguments, database, results, memory):
    results_dir = REPO / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    path = results_dir / f"agenda-{datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(
        json.dumps(
            {
                "machine": {
                    "cores": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_average_after": os.getloadavg(),
                },
                "database": database,
                "duration_s": arguments.duration,
                "warmup_s": arguments.warmup,
                "load_generator": "wrk" if arguments.wrk else "python",
                "client_processes": arguments.client_processes,
                "results": results,
                "worker_memory_mb": memory,
            },
            indent=2,
        )
    )
    print(f"\nResults written to {path.relative_to(REPO)}")


def use_the_project_environment():
    """Re-runs this script with .venv's Python when started with one that lacks the project."""
    try:
        import django  # noqa: F401
    except ModuleNotFoundError:
        venv_python = REPO / ".venv" / "bin" / "python"
        if not venv_python.exists() or Path(sys.executable) == venv_python:
            raise SystemExit("Django is not installed: run `make install` first.") from None
        os.execv(venv_python, [str(venv_python), *sys.argv])


if __name__ == "__main__":
    use_the_project_environment()
    main()
