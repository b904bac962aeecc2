"""Genesis: get from nothing to a working LLM provider setup, starting with Chutes."""

__version__ = "0.1.0"
