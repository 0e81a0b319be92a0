"""Container HEALTHCHECK without curl: exit 0 when /health answers 200 on this host."""

import http.client
import os
import sys

PORT = int(os.environ.get("PORT", "8000"))

try:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=3)
    connection.request("GET", "/health")
    sys.exit(0 if connection.getresponse().status == 200 else 1)
except OSError:
    sys.exit(1)
