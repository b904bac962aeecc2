"""The config file: reading JSON5 with positions, editing it in place, and what genesis
writes into it (the OpenClaw-shaped provider, models, aliases and auth profiles)."""
