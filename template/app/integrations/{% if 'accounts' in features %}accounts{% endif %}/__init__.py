"""The service's own accounts, wired into the app: the password hasher and the verifier of the
access tokens the service issues, built when the app starts (the accounts' routes, services and
schemas live in their layers: app/api/routes/auth.py, app/services/auth_service.py, ...)."""
