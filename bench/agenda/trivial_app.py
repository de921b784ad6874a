"""
The baseline of the agenda benchmark: a WSGI app that answers each measured path with the exact
status, headers and body the real site gave for it, captured once by run.py.

It does nothing else, so under the same gunicorn it shows what the server, the network stack and
the load generator cost on their own; the site's figures divided by these are what Django, the
database and our code add.
"""

import json
import os
from pathlib import Path


def _load_captured_responses():
    captured = json.loads(Path(os.environ["BENCH_CAPTURED_RESPONSES"]).read_text())
    return {
        path: (
            response["status"],
            [tuple(header) for header in response["headers"]],
            Path(response["body_file"]).read_bytes(),
        )
        for path, response in captured.items()
    }


RESPONSES = _load_captured_responses()


def application(environ, start_response):
    query = environ.get("QUERY_STRING", "")
    status, headers, body = RESPONSES.get(
        environ["PATH_INFO"] + (f"?{query}" if query else ""),
        ("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")], b"Not captured\n"),
    )
    start_response(status, headers)
    return [body]
