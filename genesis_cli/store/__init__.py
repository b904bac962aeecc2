"""Where credentials live: the TOML auth store (locked, atomic, 0600) and the OS keyring
references it may hold instead of secrets."""
