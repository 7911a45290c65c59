"""Shared parts of the chaos harness: settings, processes, HTTP client, load and results."""
