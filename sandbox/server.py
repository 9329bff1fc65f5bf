"""One loopback server for every simulator, each mounted under its own path prefix.

    /shopify/...   Shopify (OAuth, Admin GraphQL, webhooks sender, admin simulator)
    /amazon/...    Login with Amazon + SP-API
    /ebay/...      eBay OAuth + Trading API
    /etsy/...      Etsy OAuth + Open API v3
    /ecb/...       the ECB's daily exchange rates (billing's rate table)

Tests run it in a thread (`SandboxServer`); `python -m sandbox` runs it for the demo.
"""

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Response


class Simulator(Protocol):
    prefix: str

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]: ...

    def reset(self) -> None: ...


@dataclass
class SandboxConfig:
    """What a simulator must know of the app it stands in front of."""

    base_url: str = "http://127.0.0.1:8001"
    app_url: str = "http://127.0.0.1:8000"
    shopify_api_key: str = "demo-api-key"
    shopify_api_secret: str = "demo-api-secret"
    extra: dict[str, str] = field(default_factory=dict)


def _not_found(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    return Response("no simulator here", status=404)(environ, start_response)


def build_simulators(config: SandboxConfig) -> list[Simulator]:
    """Every simulator package registers itself here."""
    from sandbox.amazon import AmazonSimulator
    from sandbox.ebay import EbaySimulator
    from sandbox.ecb import EcbSimulator
    from sandbox.etsy import EtsySimulator
    from sandbox.shopify import ShopifySimulator

    return [
        ShopifySimulator(config),
        AmazonSimulator(config),
        EbaySimulator(config),
        EtsySimulator(config),
        EcbSimulator(config),
    ]


class Sandbox:
    def __init__(self, config: SandboxConfig):
        self.config = config
        self.simulators = {sim.prefix: sim for sim in build_simulators(config)}
        mounts: dict[str, Any] = dict(self.simulators)
        for sim in self.simulators.values():
            # Paths a vendor serves outside its prefix, e.g. Shopify's admin at /store/...
            mounts.update(getattr(sim, "extra_mounts", {}))
        self.wsgi = DispatcherMiddleware(_not_found, mounts)

    def __getitem__(self, prefix: str) -> Any:
        return self.simulators[prefix]

    def reset(self) -> None:
        for sim in self.simulators.values():
            sim.reset()


class SandboxServer:
    """Runs the sandbox on a loopback port in a background thread."""

    def __init__(self, config: SandboxConfig, host: str = "127.0.0.1", port: int = 0):
        self._server: BaseWSGIServer = make_server(host, port, None, threaded=True)  # type: ignore[arg-type]
        self.url = f"http://{host}:{self._server.server_port}"
        config.base_url = self.url
        self.sandbox = Sandbox(config)
        self._server.app = self.sandbox.wsgi
        # A short poll keeps shutdown() (every test's teardown) from waiting the default 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> "SandboxServer":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
