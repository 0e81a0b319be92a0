"""Container HEALTHCHECK without curl: exit 0 when /health answers 200 on this host."""

import os
import sys
import urllib.request

PORT = int(os.environ.get("PORT", "8000"))
URL = f"http://127.0.0.1:{PORT}/health"

try:
    with urllib.request.urlopen(URL, timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError:
    sys.exit(1)
