"""The console: pactum's web application for the people who run an agreement (issues 11, 12).

A backend-for-frontend. It renders HTML on the server and calls the four services only through
their public HTTP APIs, with the signed-in person's own tokens; it owns nothing but its sessions.
"""
