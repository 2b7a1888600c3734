"""The servers the benches load, one uvicorn process each (one worker, access log off).

    python bench/api_server.py graphql DATABASE_URL PORT   # the dealpulse API on a mirror
    python bench/api_server.py ceiling JSON_FILE PORT      # POST /graphql answers JSON_FILE
    python bench/api_server.py static JSON_FILE PORT       # the same, JSON_FILE's bytes as is

`graphql` is `create_app` as `dealpulse serve` builds it, except that it never syncs: no
`sync_org` and no background loop, and a staleness bound of a year, so every request still
reads the org's synced_at (as in production) and then serves the mirror. `ceiling` is a plain
Starlette endpoint that reads the request and returns the same JSON, serialised from memory;
`static` returns the file's bytes unchanged (bench_todo.py: the very bytes the API answered).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import uvicorn
from common import SECRET_KEY
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.app import create_app
from api.settings import Settings
from store.engine import make_engine


def graphql_app(database_url: str) -> Starlette:
    settings = Settings(
        database_url=database_url,
        secret_key=SecretStr(SECRET_KEY),
        staleness_seconds=365 * 24 * 3600,
        rate_limit_per_second=0,  # the benches measure throughput, not the limits
        dev_tokens=True,  # bench_api and bench_todo load it with development tokens
    )
    return create_app(settings, engine=make_engine(database_url))


def ceiling_app(json_file: str) -> Starlette:
    answer = json.loads(Path(json_file).read_text())

    async def graphql(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse(answer)

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


def static_app(json_file: str) -> Starlette:
    answer = Path(json_file).read_bytes()

    async def graphql(request: Request) -> Response:
        await request.body()
        return Response(answer, media_type="application/json")

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


APPS = {"graphql": graphql_app, "ceiling": ceiling_app, "static": static_app}


def main() -> None:
    kind, source, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = APPS[kind](source)
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
