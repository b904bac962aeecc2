"""genesis's test suite.

``SHARED_DATA``: recorded public data (the live catalog snapshot, TEE evidence) kept beside the
checkout in ``../shared/data`` (CI lays it there), read in place and never copied in."""

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
LIVE_SNAPSHOT = SHARED_DATA / "chutes-models-2026-08-22.json"  # Chutes' /v1/models, 2026-08-22
