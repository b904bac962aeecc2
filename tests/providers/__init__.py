"""Providers defined by tests alone, as a third party would: a module and a catalog file."""
