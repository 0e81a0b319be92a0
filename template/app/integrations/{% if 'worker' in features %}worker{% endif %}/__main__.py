"""`python -m app.integrations.worker`: the worker process (what scripts/worker.sh runs)."""

from app.integrations.worker.process import main

main()
