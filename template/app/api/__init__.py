"""The HTTP layer: routes (routes/), their dependencies (deps.py) and the offline docs pages."""
