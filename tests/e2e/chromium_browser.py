"""BROWSER for the end-to-end tests: real headless Chromium on the sign-in URL.

webbrowser waits for a plain BROWSER command to exit, so this returns at once and a
detached child runs Chromium, which follows the IdP's redirect to genesis's loopback server;
the DOM of the page it ends on is saved to $GENESIS_E2E_PAGE.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
]


def main() -> None:
    url = sys.argv[1]
    if len(sys.argv) == 2:
        subprocess.Popen(
            [sys.executable, __file__, url, "--child"],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return
    binary = os.environ.get("GENESIS_E2E_CHROMIUM") or shutil.which("chromium") or "chromium"
    with tempfile.TemporaryDirectory(prefix="genesis-chromium-") as profile:
        result = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True,
            timeout=60,
            check=False,
        )
    with open(os.environ["GENESIS_E2E_PAGE"], "wb") as fh:
        fh.write(result.stdout)


if __name__ == "__main__":
    main()
