"""`gt dashboard`: the town in a browser, live, with actions.

Starlette (an ASGI framework) served by uvicorn. The page is drawn on the server from
`gt.townview` (every bead text escaped), and kept live by server-sent events: a watchdog on
the ledgers' refs (`gt.townview.watch`) makes the server read the town again and push only
the panels whose HTML changed. Actions call the services the CLI calls, as the person who
runs the dashboard. Safe by default: bound to 127.0.0.1, a per-town token for every
state-changing request, its Origin and Host checked.
"""
