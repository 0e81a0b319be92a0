"""Background work on a Redis stream (taskiq): run `scripts/worker.sh` next to the API."""
