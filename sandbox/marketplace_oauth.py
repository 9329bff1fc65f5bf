"""What the Amazon, eBay and Etsy simulators share: an OAuth server's book of codes and
tokens with real lifetimes, a consent page, injected faults, and test/demo controls."""

import base64
import hashlib
import html
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

# The simulators import both from here, beside the OAuth pieces.
from sandbox.responses import json_response as json_response
from sandbox.responses import with_query as with_query
from sandbox.server import SandboxConfig

CODE_LIFETIME = 300  # authorization codes: 5 minutes at all three marketplaces


@dataclass
class Token:
    user: str
    expires_at: float
    spent: bool = False

    def live(self) -> bool:
        return not self.spent and time.time() < self.expires_at


@dataclass
class Code:
    user: str
    redirect_uri: str
    challenge: str
    expires_at: float
    used: bool = False


@dataclass
class Fault:
    status: int
    body: Any
    delay: float = 0.0
    path: str = ""


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    json: Any
    data: bytes = b""

    @classmethod
    def of(cls, request: Request) -> "Received":
        query = {key: request.args.getlist(key) for key in request.args}
        body = request.get_json(silent=True)
        return cls(request.method, request.path, query, body, request.get_data())


@dataclass
class OAuthBook:
    """Codes and tokens of one authorization server. Times are wall-clock (time-machine aware)."""

    access_lifetime: int
    refresh_lifetime: int
    rotate_refresh: bool = False
    access: dict[str, Token] = field(default_factory=dict)
    refresh: dict[str, Token] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue_code(self, user: str, *, redirect_uri: str, challenge: str = "") -> str:
        code = secrets.token_urlsafe(18)
        self.codes[code] = Code(user, redirect_uri, challenge, time.time() + CODE_LIFETIME)
        return code

    def redeem_code(
        self, code: str, *, redirect_uri: str | None, verifier: str | None = None
    ) -> str | None:
        """The user the code was issued to, once; None for unknown, used, expired, mismatched."""
        with self.lock:
            entry = self.codes.get(code)
            if entry is None or entry.used or time.time() > entry.expires_at:
                return None
            entry.used = True
        if redirect_uri is not None and entry.redirect_uri != redirect_uri:
            return None
        if verifier is not None and s256(verifier) != entry.challenge:
            return None
        return entry.user

    def issue(
        self,
        user: str,
        *,
        prefix: str = "",
        access_prefix: str | None = None,
        refresh_expires_at: float | None = None,
    ) -> dict[str, Any]:
        # `prefix` may name the user, as Etsy's "{user}." tokens do; Amazon's two kinds differ.
        access_prefix = prefix if access_prefix is None else access_prefix
        access = f"{access_prefix.format(user=user)}{secrets.token_urlsafe(24)}"
        refresh = f"{prefix.format(user=user)}{secrets.token_urlsafe(32)}"
        now = time.time()
        self.access[access] = Token(user, now + self.access_lifetime)
        expires = refresh_expires_at or now + self.refresh_lifetime
        self.refresh[refresh] = Token(user, expires)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.access_lifetime,
            "refresh_token_expires_in": int(expires - now),
        }

    def use_refresh(self, refresh_token: str, *, prefix: str = "") -> dict[str, Any] | None:
        """A new access token; a rotating server also spends the old refresh token."""
        with self.lock:
            entry = self.refresh.get(refresh_token)
            if entry is None or not entry.live():
                return None
            if not self.rotate_refresh:
                access = f"{prefix.format(user=entry.user)}{secrets.token_urlsafe(24)}"
                self.access[access] = Token(entry.user, time.time() + self.access_lifetime)
                return {
                    "access_token": access,
                    "expires_in": self.access_lifetime,
                    "user": entry.user,
                }
            entry.spent = True
            return {**self.issue(entry.user, prefix=prefix), "user": entry.user}

    def user_of(self, access_token: str) -> str | None:
        entry = self.access.get(access_token)
        return entry.user if entry is not None and entry.live() else None

    def revoke(self, user: str) -> None:
        """The seller withdrew the app's authorization: every token of theirs dies."""
        for token in self._tokens_of(user):
            token.spent = True

    def expire(self, user: str) -> None:
        """Every token of the user reaches the end of its lifetime now."""
        for token in self._tokens_of(user):
            token.expires_at = time.time() - 1

    def live_refresh_tokens(self, user: str) -> list[str]:
        return [
            value for value, token in self.refresh.items() if token.user == user and token.live()
        ]

    def _tokens_of(self, user: str) -> Iterable[Token]:
        return [t for t in (*self.access.values(), *self.refresh.values()) if t.user == user]


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def invalid_grant(description: str, headers: Mapping[str, str] | None = None) -> Response:
    """RFC 6749's answer to a bad, expired or spent code or refresh token, at all three."""
    return json_response({"error": "invalid_grant", "error_description": description}, 400, headers)


class MarketplaceSimulator(ABC):
    """Routing, the consent page, fault injection and the demo's control endpoints (HTTP)."""

    prefix = ""
    marketplace = ""
    default_user = ""

    def __init__(self, config: SandboxConfig):
        self.config = config
        self.url_map = Map(
            self.rules() + [Rule("/_sandbox/<action>", endpoint="control", methods=["POST"])]
        )
        self.reset()

    @abstractmethod
    def rules(self) -> list[Rule]:
        """Each marketplace's own."""

    def reset(self) -> None:
        self.book = self.new_book()
        self.faults: list[Fault] = []
        self.latency: dict[str, float] = {}
        self.denied: dict[str, Any] = {}
        # Every request as received (method, path, query, JSON body): what the app really sent.
        self.received: list[Received] = []
        self.auto_approve = self.config.extra.get("auto_approve") == "1"
        self.login_as = self.default_user

    @abstractmethod
    def new_book(self) -> OAuthBook:
        """Each marketplace's own."""

    def fail_next(
        self, status: int, body: Any = None, *, times: int = 1, delay: float = 0.0, path: str = ""
    ) -> None:
        """The next `times` requests whose path starts with `path` fail (or stall `delay` s)."""
        self.faults += [Fault(status, body, delay, path) for _ in range(times)]

    def answer_next(self, body: Any, *, path: str, status: int = 200, times: int = 1) -> None:
        """The next `times` requests under `path` get `body` (e.g. a vendor spec's example)."""
        self.fail_next(status, body, times=times, path=path)

    def received_at(self, path: str, method: str = "") -> list["Received"]:
        return [r for r in self.received if r.path.startswith(path) and method in ("", r.method)]

    def deny(self, user: str, detail: Any = True) -> None:
        """API calls of the user are refused even with fresh tokens (e.g. role removed).

        Amazon also takes a path prefix as `detail` ("/listings"): only that API is refused,
        as for a seller who did not grant the role it needs."""
        self.denied[user] = detail

    def consent_page(self, request: Request, approve: Callable[[str], str]) -> Response:
        """GET shows an "Allow" button (the demo may approve at once); POST approves as the
        user typed (default: the seller to log in as) and redirects back with a code."""
        if request.method == "POST" or self.auto_approve:
            user = request.form.get("user") or self.login_as
            return Response(status=302, headers={"Location": approve(user)})
        name, user = self.marketplace, html.escape(self.login_as)
        body = f"""<!doctype html><html><head><meta charset="utf-8">
<title>{name} sandbox – allow access</title></head><body>
<h1>{name} (sandbox)</h1><p>Salestio asks for access to your seller account.</p>
<form method="post"><label>Seller <input name="user" value="{user}"></label>
<button type="submit" id="approve">Allow</button></form></body></html>"""
        return Response(body, mimetype="text/html")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if not request.path.startswith("/_sandbox"):
            self.received.append(Received.of(request))
        for path, seconds in self.latency.items():
            if request.path.startswith(path):
                time.sleep(seconds)  # widens races in concurrency tests
        response = self._fault(request) or self._dispatch(request)
        return response(environ, start_response)

    def spec_violation(self, request: Request) -> str | None:
        """What the vendor's API file refuses in the request (sandbox.spec_validation)."""
        return None

    def invalid_request(self, message: str) -> Response:
        """The vendor's 400 for a request its API file refuses."""
        return json_response({"error": message}, 400)

    def refusal(self, request: Request) -> Response | None:
        """The 400 for a request off the vendor's spec; called once the caller is known, as
        the vendors authenticate before they validate."""
        violation = self.spec_violation(request)
        return self.invalid_request(violation) if violation else None

    def _fault(self, request: Request) -> Response | None:
        fault = next((f for f in self.faults if request.path.startswith(f.path)), None)
        if fault is None or request.path.startswith("/_sandbox"):
            return None
        self.faults.remove(fault)
        if fault.delay:
            time.sleep(fault.delay)
        return self.fault_response(fault)

    @abstractmethod
    def fault_response(self, fault: Fault) -> Response:
        """Each marketplace's own."""

    def _dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except Exception as exc:  # werkzeug's NotFound/MethodNotAllowed are responses
            return exc  # type: ignore[return-value]
        return getattr(self, f"on_{endpoint}")(request, **args)

    def demo_order(self, user: str, sku: str) -> str:
        """A new order of `user` for one `sku` (the demo's order stream); its id, or "" where
        the simulator has no such control."""
        return ""

    def on_control(self, request: Request, action: str) -> Response:
        """POST /_sandbox/revoke|expire|deny|order with form field `user`: the demo's
        controls (`order` also takes `sku`)."""
        user = request.form.get("user", "")
        if action == "order" and user:
            order_id = self.demo_order(user, request.form.get("sku", "SKU-1"))
            return Response(order_id, status=200 if order_id else 400)
        actions = {"revoke": self.book.revoke, "expire": self.book.expire, "deny": self.deny}
        if action not in actions or not user:
            return Response("unknown action or user", status=400)
        actions[action](user)
        return Response(status=204)
