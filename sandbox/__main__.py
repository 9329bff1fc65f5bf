"""`python -m sandbox --port 8001`: every simulator on one loopback port, in the foreground.

It stands in front of the app the environment describes, with the app's own variable names:
SHOPIFY_APP_URL (where webhooks and OAuth redirects go), SHOPIFY_API_KEY, SHOPIFY_API_SECRET.
SANDBOX_<NAME>=value sets a simulator option (SandboxConfig.extra["<name>"]), e.g.
SANDBOX_AUTO_APPROVE=1 approves marketplace logins without showing the consent page.
"""

import argparse
import os
from collections.abc import Mapping

from werkzeug.serving import run_simple

from sandbox.server import Sandbox, SandboxConfig

EXTRA_PREFIX = "SANDBOX_"


def config_from(environ: Mapping[str, str], base_url: str) -> SandboxConfig:
    defaults = SandboxConfig()
    extra = {
        key.removeprefix(EXTRA_PREFIX).lower(): value
        for key, value in environ.items()
        if key.startswith(EXTRA_PREFIX)
    }
    return SandboxConfig(
        base_url=base_url,
        app_url=environ.get("SHOPIFY_APP_URL", defaults.app_url).rstrip("/"),
        shopify_api_key=environ.get("SHOPIFY_API_KEY", defaults.shopify_api_key),
        shopify_api_secret=environ.get("SHOPIFY_API_SECRET", defaults.shopify_api_secret),
        extra=extra,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args(argv)
    sandbox = Sandbox(config_from(os.environ, f"http://{args.host}:{args.port}"))
    print(f"sandbox listening on http://{args.host}:{args.port}", flush=True)
    run_simple(args.host, args.port, sandbox.wsgi, threaded=True)


if __name__ == "__main__":
    main()
