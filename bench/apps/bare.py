"""Reference "bare": FastAPI with one route and nothing else, the ceiling for /health."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
