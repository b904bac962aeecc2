"""Sign in with OAuth: the protocol calls, the redirect back, and the loopback server."""
