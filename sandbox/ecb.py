"""The ECB's euro foreign exchange reference rates, simulated: the daily XML document the
billing app's rate table is refreshed from.

    GET  /ecb/stats/eurofxref/eurofxref-daily.xml
    POST /ecb/_control/rates      (JSON: {"USD": "1.25", ...}[, "time": "YYYY-MM-DD"])

Format as published at https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml: a
gesmes:Envelope whose Cube holds one dated Cube of Cube currency/rate elements, EUR base.
"""

import json
import threading
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.sax.saxutils import quoteattr

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox.server import SandboxConfig

# The published document's figures of 2026-11-27, rounded as the ECB publishes them.
DEFAULT_RATES = {"USD": "1.0812", "GBP": "0.8431", "CHF": "0.9402", "PLN": "4.2675"}
ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
    xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time={day}>
{cubes}
    </Cube>
  </Cube>
</gesmes:Envelope>
"""


class EcbSimulator:
    prefix = "/ecb"

    def __init__(self, config: SandboxConfig):
        self.config = config
        self._lock = threading.Lock()
        self.reset()
        self.url_map = Map(
            [
                Rule("/ecb/stats/eurofxref/eurofxref-daily.xml", endpoint=self._daily),
                Rule("/ecb/_control/rates", methods=["POST"], endpoint=self._set_rates),
            ]
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        # Mounted under /ecb, which the dispatcher moved into the script root.
        adapter = self.url_map.bind(request.host, path_info=request.script_root + request.path)
        try:
            endpoint, arguments = adapter.match(method=request.method)
            response = endpoint(request, **arguments)
        except HTTPException as error:
            response = error.get_response(environ)
        return response(environ, start_response)

    def reset(self) -> None:
        with self._lock:
            self.day: date | None = None
            self.rates = dict(DEFAULT_RATES)

    def publish(self, rates: dict[str, str], day: date | None = None) -> None:
        with self._lock:
            self.rates, self.day = dict(rates), day

    def _daily(self, request: Request) -> Response:
        with self._lock:
            day, rates = self.day or date.today(), dict(self.rates)
        cubes = "\n".join(
            f"      <Cube currency={quoteattr(code)} rate={quoteattr(rate)}/>"
            for code, rate in sorted(rates.items())
        )
        body = ENVELOPE.format(day=quoteattr(day.isoformat()), cubes=cubes)
        return Response(body, mimetype="text/xml")

    def _set_rates(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        day = body.pop("time", None) if isinstance(body, dict) else None
        try:
            rates = {str(k): str(Decimal(str(v))) for k, v in body.items()}
            published = date.fromisoformat(day) if day else None
        except (InvalidOperation, ValueError, AttributeError):
            return Response(json.dumps({"error": "rates must be numbers"}), status=400)
        self.publish(rates, published)
        return Response(json.dumps({"published": len(rates)}), mimetype="application/json")
