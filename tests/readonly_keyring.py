"""A keyring backend for tests: the real Secret Service for reads and deletes, but every
write fails, as a keyring that got locked or full would. Selected in a genesis subprocess
with PYTHON_KEYRING_BACKEND=tests.readonly_keyring.Keyring (PYTHONPATH at the repo)."""

from __future__ import annotations

from keyring.backends import SecretService
from keyring.errors import PasswordSetError


class Keyring(SecretService.Keyring):
    priority = 1

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError("the test keyring refuses writes")
