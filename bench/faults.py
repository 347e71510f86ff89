"""Fault runs (filled in below)."""


def run_all(site, n):
    raise NotImplementedError
