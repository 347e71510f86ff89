"""What is decided, and how: matters, procedures, discussion, polls, resolutions, the ledger.

The deliberation core arrives with its own issue; this app is in place so that the layout,
settings and migrations are stable from the start.
"""
