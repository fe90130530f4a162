# SPDX-License-Identifier: BSD-2-Clause
# A request program in Python: GET answers with the URL, the argument, a
# request field and JSON; POST gives back the body with its SHA-256.  The
# state is built during initialization; every request starts from it.
import hashlib
import json
import sys

import varnish

state = {"counter": 41, "seen": []}


def on_get(url, arg):
    state["counter"] += 1
    state["seen"].append(url)
    agent = varnish.http_find(varnish.REQ, "User-Agent") or "none"
    body = "Hello from Python! url=%s arg=%s %s %s\n" % (
        url, arg, agent, json.dumps(state, sort_keys=True))
    varnish.http_set(varnish.RESP, "X-Language: Python")
    varnish.set_cacheable(False, 1.0)
    varnish.backend_response(200, "text/plain", body)


def on_post(url, arg, ctype, body):
    digest = hashlib.sha256(body).hexdigest()
    varnish.http_set(varnish.RESP, "X-Language: Python")
    varnish.backend_response(201, "text/plain", b"Python got %d bytes of %s at %s sha256=%s: %s" % (
        len(body), ctype.encode(), url.encode(), digest.encode(), body))


if not varnish.sandboxed():
    print("run me in tinykvm-run or under varnishd")
    sys.exit(0)
varnish.set_backend_get(on_get)
varnish.set_backend_post(on_post)
print("Python program ready")
sys.stdout.flush()
varnish.wait_for_requests()
