"""A stand-in for BROWSER in tests: returns at once (webbrowser waits for a plain command),
while a detached child follows the URL through its redirects like a browser and saves the
page it ends on to $FAKE_BROWSER_OUT."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request

if __name__ == "__main__":
    if len(sys.argv) == 2:
        subprocess.Popen(
            [sys.executable, __file__, sys.argv[1], "--child"],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        sys.exit(0)
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=20) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()
    with open(os.environ["FAKE_BROWSER_OUT"], "wb") as fh:
        fh.write(body)
