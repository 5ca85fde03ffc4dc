"""API authentication and authorisation (issue 6).

- ``secrets``   bearer tokens (SHA-256 stored only) and Argon2id password hashes
- ``principal`` who is calling: account, role, crew or utility
- ``policy``    the access rule of every route (method + path template → roles)
- ``guard``     the app-wide dependency: bearer token → principal → policy check
- ``scope``     what a crew or utility may see of what it may read
- ``ratelimit`` failed logins per client IP and per user name (in memory)
- ``audit``     writing the audit log from a request
- ``bootstrap`` start-up: the bootstrap admin token, dev accounts, refusing default secrets
"""
