"""The fault-injection run (``jemput chaos``, ``bench/chaos.py``; docs/reliability.md).

The demo's programme (``programme.runner``) runs on every service as its own process while a
seeded schedule kills each service, restarts the broker and the database, takes the SMTP
server, the SMS gateway and the central-registry simulator down, and injects poison messages
into every service's queue; afterwards the pass conditions are checked from the records each
party keeps.

- ``schedule``: the seeded fault plan
- ``stack``: the demo's stack with fixed ports, a lock around restarts and the dashboard
- ``transport``: the runner's HTTP client waits out a service that is down
- ``faults``: carrying out one fault
- ``poison``: the poison messages and telling them apart in a DLQ
- ``checks``: the pass conditions
- ``run``: the whole run and its figures
"""
