"""Writes HTTP-signature fixtures signed by bovine's own client code.

bovine's `signed_post` / `signed_get` (bovine.clients.signed_http_methods) are called with a
stand-in aiohttp session that records the headers instead of sending anything, so the fixtures
hold exactly what bovine would put on the wire. Kogi's `signatures` tests verify them.

Run: /work/main/target/test-tools/venv/bin/python generate_bovine_fixtures.py [OUT_DIR]
"""

import asyncio
import json
import sys
from importlib.metadata import version
from pathlib import Path

from bovine.clients.signed_http import legacy_digest_method
from bovine.clients.signed_http_methods import signed_get, signed_post
from bovine.crypto import generate_rsa_public_private_key
from bovine.crypto.helper import content_digest_sha256_rfc_9530
from bovine.crypto.types import CryptographicSecret

KEY_ID = "http://localhost:8090/actor#main-key"
BODY = json.dumps(
    {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://localhost:8090/activities/follow-1",
        "type": "Follow",
        "actor": "http://localhost:8090/actor",
        "object": "http://localhost:8081/users/alice",
    }
)


class RecordingSession:
    """Just enough of aiohttp.ClientSession for bovine's signed_get/signed_post."""

    def __init__(self):
        self.calls = []

    async def get(self, url, headers=None, **kwargs):
        self.calls.append(("GET", url, dict(headers), None))

    async def post(self, url, data=None, headers=None, **kwargs):
        self.calls.append(("POST", url, dict(headers), data))


def fixture(description, call, public_pem):
    method, url, headers, body = call
    path = url.split("://", 1)[1]
    path = path[path.index("/") :]
    headers = {k.lower(): v for k, v in headers.items() if k.lower() != "user-agent"}
    return {
        "description": description,
        "method": method,
        "url": url,
        "path": path,
        "headers": headers,
        "body": body,
        "key_id": KEY_ID,
        "public_key_pem": public_pem,
    }


async def main(out_dir: Path):
    public_pem, private_pem = generate_rsa_public_private_key()
    secret = CryptographicSecret.from_pem(KEY_ID, private_pem)
    generator = f"bovine {version('bovine')}"
    cases = []

    session = RecordingSession()
    await signed_post(
        session, secret, "http://localhost:8081/users/alice/inbox", BODY, legacy_digest_method
    )
    cases.append(
        ("bovine_post.json", f"{generator} signed_post, legacy Digest (sha-256=...)", session.calls[0])
    )

    session = RecordingSession()
    await signed_post(
        session,
        secret,
        "http://localhost:8081/inbox",
        BODY,
        content_digest_sha256_rfc_9530,
    )
    cases.append(
        (
            "bovine_post_content_digest.json",
            f"{generator} signed_post, RFC 9530 Content-Digest",
            session.calls[0],
        )
    )

    session = RecordingSession()
    await signed_get(session, secret, "http://localhost:8081/users/alice/outbox?page=true")
    cases.append(("bovine_get.json", f"{generator} signed_get with a query", session.calls[0]))

    for name, description, call in cases:
        data = fixture(description, call, public_pem)
        (out_dir / name).write_text(json.dumps(data, indent=2) + "\n")
        print(f"wrote {out_dir / name}: {data['headers']['signature'][:90]}...")


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    asyncio.run(main(out))
