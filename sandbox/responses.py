"""The answers every simulator builds the same way: a JSON body, a redirect URL's query."""

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Response


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def with_query(url: str, **params: str) -> str:
    """`url` with `params` appended to whatever query it already has (redirect_uri, return_url)."""
    return f"{url}{'&' if urlsplit(url).query else '?'}{urlencode(params)}"
