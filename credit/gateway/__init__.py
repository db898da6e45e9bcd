"""The gateway: a FastAPI service that relays signed claims and confirmations, mints rewards
exactly once, and serves rule-bound reminders and warnings."""
