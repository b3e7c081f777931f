"""A stand-in for PyPI's trusted publishing endpoints, and GitLab ID tokens for it.

uv's trusted publishing asks the index for its audience (`/_/oidc/audience`), trades the job's ID
token for an API token (`/_/oidc/mint-token`) and uploads with user `__token__`. The stand-in
answers the way PyPI does: 422 with `invalid-publisher` when the token's claims match no publisher,
403 for an upload without a token it minted. It does not check signatures.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass, field

from .tls import QuietHandler


def id_token(claims: dict) -> str:
    """A JWT with GitLab's ID token claims (unsigned: the stand-in does not check signatures)."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2ln"


def gitlab_claims(project_path: str, aud: str, environment: str | None = None, ref: str = "main") -> dict:
    """The claims GitLab puts in a job's ID token that PyPI's publisher check reads."""
    claims = {
        "aud": aud,
        "sub": f"project_path:{project_path}:ref_type:branch:ref:{ref}",
        "project_path": project_path,
        "ci_config_ref_uri": f"gitlab.example.com/{project_path}//.gitlab-ci.yml@refs/heads/{ref}",
    }
    if environment:
        claims["environment"] = environment
    return claims


@dataclass
class FakePyPI:
    """What the stand-in accepts: the publisher registered on "PyPI" and the files uploaded."""

    audience: str
    publisher: dict  # claims that must match, e.g. {"project_path": ..., "environment": ...}
    minted: set[str] = field(default_factory=set)
    uploads: list[str] = field(default_factory=list)


def pypi_handler(state: FakePyPI):
    """PyPI's audience, mint-token and upload endpoints, as uv's trusted publishing uses them."""

    class Handler(QuietHandler):
        def reply(self, code: int, body: dict | str):
            data = (json.dumps(body) if isinstance(body, dict) else body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if isinstance(body, dict) else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/_/oidc/audience":
                return self.reply(200, {"audience": state.audience})
            self.reply(404, {"message": "Not Found"})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/_/oidc/mint-token":
                return self.mint(body)
            user, _, token = (
                base64.b64decode(self.headers.get("Authorization", "Basic ")[6:]).decode().partition(":")
            )
            if user != "__token__" or token not in state.minted:
                return self.reply(403, "Invalid or non-existent authentication information.")
            if m := re.search(rb'filename="([^"]+)"', body):
                state.uploads.append(m[1].decode())
            self.reply(200, "OK")

        def mint(self, body: bytes):
            # PyPI answers a token no publisher matches with 422 and an `invalid-publisher` error.
            token = json.loads(body or b"{}").get("token", "")
            try:
                payload = token.split(".")[1]
                claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            except (IndexError, ValueError):
                claims = {}
            wanted = {**state.publisher, "aud": state.audience}
            if any(claims.get(k) != v for k, v in wanted.items()):
                error = {
                    "code": "invalid-publisher",
                    "description": "valid token, but no corresponding publisher",
                }
                return self.reply(422, {"message": "Token request failed", "errors": [error]})
            minted = "pypi-" + secrets.token_urlsafe(16)
            state.minted.add(minted)
            self.reply(200, {"success": True, "token": minted})

    return Handler
