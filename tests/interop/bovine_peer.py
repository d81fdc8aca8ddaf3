"""A remote ActivityPub server built on bovine, for Kogi's interop tests (tests/interop.rs).

Everything ActivityPub-specific goes through bovine's own code: the actor document
(`bovine.activitystreams.Actor`), its RSA key (`generate_rsa_public_private_key`), WebFinger
answers (`webfinger_response_json`) and look-ups (`lookup_uri_with_webfinger`), activities
(`ActivityFactory`), signed requests (`SignedHttpClient`, i.e. `signed_get`/`signed_post`) and
the verification of incoming HTTP signatures (`build_validate_http_signature_raw`). Only the
aiohttp plumbing and the bookkeeping are ours.

Usage: python bovine_peer.py PORT STATE_DIR [--name bob]

Binds 127.0.0.1:PORT; its URLs are http://localhost:PORT/... It serves:

  GET  /.well-known/webfinger       acct:NAME@localhost:PORT or the actor URL
  GET  /users/NAME                  the actor (Person); signed GETs are verified and recorded
  POST /users/NAME/inbox            verified with bovine; 202, or 401 when verification fails
  GET  /users/NAME/followers        OrderedCollection of the followers it accepted

and, for the test only:

  POST /control/follow {"target": "user@host" | actor URL}
       resolves the target (WebFinger, then a signed GET of the actor) and POSTs a signed
       Follow to its inbox; answers {"status", "body", "activity", "target"}.
  POST /control/send {"target": ..., "activity": {...}}
       signs and POSTs any activity (its `id` and `actor` filled in when missing) to the
       target's inbox; answers like /control/follow.

A Follow of its actor is accepted: a signed Accept is sent to the follower's inbox after the
202. State directory files, one JSON object a line, appended as things happen:

  inbox.jsonl    every POST to the inbox: the activity, the keyId, the owner bovine's verifier
                 returned (null when it refused), `verified` and the status answered
  fetches.jsonl  every GET of the actor document: the keyId and the verified owner, if signed
  sent.jsonl     every activity it sent, with the receiver's status and body
"""

import argparse
import asyncio
import json
import logging
import re
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urldefrag

import aiohttp
from aiohttp import web

from bovine.activitystreams import Actor, OrderedCollection
from bovine.activitystreams.activity_factory import ActivityFactory
from bovine.clients import lookup_uri_with_webfinger
from bovine.clients.signed_http import SignedHttpClient
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.types import CryptographicIdentifier
from bovine.utils import parse_fediverse_handle, webfinger_response_json

AP_JSON = "application/activity+json"
SIGNATURE_KEY_ID = re.compile(r'keyId="([^"]*)"')

log = logging.getLogger("bovine_peer")


class Peer:
    def __init__(self, port: int, state_dir: Path, name: str):
        self.base = f"http://localhost:{port}"
        self.host = f"localhost:{port}"
        self.name = name
        self.actor_id = f"{self.base}/users/{name}"
        self.inbox = f"{self.actor_id}/inbox"
        self.state_dir = state_dir
        public_pem, self.private_pem = generate_rsa_public_private_key()
        self.actor = Actor(
            id=self.actor_id,
            type="Person",
            name=f"{name} (bovine)",
            preferred_username=name,
            inbox=self.inbox,
            outbox=f"{self.actor_id}/outbox",
            followers=f"{self.actor_id}/followers",
            following=f"{self.actor_id}/following",
            summary="A bovine peer in Kogi's interop tests",
            url=self.actor_id,
            public_key=public_pem,
            public_key_name="main-key",
        )
        self.key_id = f"{self.actor_id}#main-key"
        self.activities = ActivityFactory(
            {"id": self.actor_id, "followers": f"{self.actor_id}/followers"},
            id_generator=lambda: f"{self.base}/activities/{uuid.uuid4()}",
        )
        self.followers: list[str] = []
        self.session: aiohttp.ClientSession | None = None
        self.client: SignedHttpClient | None = None
        self.validate = build_validate_http_signature_raw(self.retrieve_key)
        self.tasks: set[asyncio.Task] = set()

    # --- bookkeeping -------------------------------------------------------------------

    def record(self, file: str, entry: dict):
        entry = {"at": time.time(), **entry}
        with open(self.state_dir / file, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    # --- outgoing ----------------------------------------------------------------------

    async def fetch(self, url: str) -> dict:
        """A signed GET (bovine's signed_get) of an ActivityPub document."""
        async with await self.client.get(url) as response:
            if response.status != 200:
                raise web.HTTPBadGateway(text=f"GET {url}: {response.status}")
            return json.loads(await response.read())

    async def retrieve_key(self, key_id: str) -> CryptographicIdentifier | None:
        """bovine's key_retriever: the publicKey of the document at the key id, fetched
        unsigned as in bovine's documentation (a signed fetch would make two such peers
        verify each other's key fetches forever)."""
        async with self.session.get(
            urldefrag(key_id).url, headers={"accept": AP_JSON}, allow_redirects=False
        ) as response:
            if response.status != 200:
                log.warning("GET %s: %s", key_id, response.status)
                return None
            document = json.loads(await response.read())
        public_key = document.get("publicKey")
        if isinstance(public_key, list):
            public_key = next((k for k in public_key if k.get("id") == key_id), None)
        if not isinstance(public_key, dict) or public_key.get("id") != key_id:
            log.warning("no publicKey %s in %s", key_id, document.get("id"))
            return None
        if public_key.get("owner") != document.get("id"):
            log.warning("key %s is owned by %s", key_id, public_key.get("owner"))
            return None
        return CryptographicIdentifier.from_public_key(public_key)

    async def resolve(self, target: str) -> dict:
        """An actor document from `user@host` (WebFinger through bovine) or its URL."""
        if not target.startswith(("http://", "https://")):
            _, domain = parse_fediverse_handle(target)
            actor_id, _ = await lookup_uri_with_webfinger(
                self.session, "acct:" + target.removeprefix("@"), domain=f"http://{domain}"
            )
            if actor_id is None:
                raise web.HTTPNotFound(text=f"WebFinger found no actor for {target}")
            target = actor_id
        return await self.fetch(target)

    async def send(self, inbox: str, activity: dict) -> dict:
        """A signed POST (bovine's signed_post, legacy Digest) of an activity."""
        body = json.dumps(activity)
        async with await self.client.post(inbox, body) as response:
            result = {"status": response.status, "body": await response.text()}
        self.record("sent.jsonl", {"inbox": inbox, "activity": activity, **result})
        return result

    def background(self, coroutine):
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # --- handlers ----------------------------------------------------------------------

    async def webfinger(self, request: web.Request) -> web.Response:
        resource = request.query.get("resource", "")
        if resource not in (f"acct:{self.name}@{self.host}", self.actor_id):
            return web.Response(status=404)
        return web.json_response(
            webfinger_response_json(f"acct:{self.name}@{self.host}", self.actor_id),
            content_type="application/jrd+json",
        )

    async def signer_of(self, request: web.Request, body) -> tuple[str | None, str | None]:
        """The keyId of a request and the owner bovine's verifier vouches for (or None)."""
        signature = request.headers.get("signature")
        if signature is None:
            return None, None
        match = SIGNATURE_KEY_ID.search(signature)
        key_id = match.group(1) if match else None
        try:
            owner = await self.validate(request.method, str(request.url), request.headers, body)
        except Exception:
            log.exception("verification of %s %s failed", request.method, request.url)
            owner = None
        return key_id, owner

    async def actor_document(self, request: web.Request) -> web.Response:
        key_id, owner = await self.signer_of(request, None)
        self.record(
            "fetches.jsonl",
            {
                "path": request.path_qs,
                "accept": request.headers.get("accept"),
                "signed": "signature" in request.headers,
                "key_id": key_id,
                "verified_owner": owner,
            },
        )
        return web.json_response(self.actor.build(), content_type=AP_JSON)

    async def followers_collection(self, request: web.Request) -> web.Response:
        collection = OrderedCollection(
            id=f"{self.actor_id}/followers", items=list(self.followers), count=len(self.followers)
        )
        return web.json_response(collection.build(), content_type=AP_JSON)

    async def empty_collection(self, request: web.Request) -> web.Response:
        collection = OrderedCollection(id=f"{self.base}{request.path}", count=0)
        return web.json_response(collection.build(), content_type=AP_JSON)

    async def inbox_post(self, request: web.Request) -> web.Response:
        raw = await request.read()

        async def body():
            return raw

        key_id, owner = await self.signer_of(request, body)
        try:
            activity = json.loads(raw)
        except ValueError:
            activity = None
        actor = activity.get("actor") if isinstance(activity, dict) else None
        if isinstance(actor, dict):
            actor = actor.get("id")
        verified = owner is not None and owner == actor
        status = 202 if verified else (400 if activity is None and owner else 401)
        self.record(
            "inbox.jsonl",
            {
                "path": request.path,
                "signed": "signature" in request.headers,
                "signature": request.headers.get("signature"),
                "key_id": key_id,
                "verified_owner": owner,
                "verified": verified,
                "status": status,
                "activity": activity,
                "raw": None if activity is not None else raw.decode("utf-8", "replace"),
            },
        )
        if verified:
            self.apply(activity)
        return web.Response(status=status)

    def apply(self, activity: dict):
        kind = activity.get("type")
        inner = activity.get("object")
        if kind == "Follow" and inner == self.actor_id:
            if activity["actor"] not in self.followers:
                self.followers.append(activity["actor"])
            self.background(self.accept(activity))
        elif kind == "Undo" and isinstance(inner, dict) and inner.get("type") == "Follow":
            if inner.get("actor") in self.followers:
                self.followers.remove(inner["actor"])

    async def accept(self, follow: dict):
        try:
            follower = await self.resolve(follow["actor"])
            accept = self.activities.accept(follow).build()
            await self.send(follower["inbox"], accept)
        except Exception:
            log.exception("could not accept %s", follow.get("id"))

    async def control_follow(self, request: web.Request) -> web.Response:
        data = await request.json()
        target = await self.resolve(data["target"])
        follow = self.activities.follow(target["id"]).build()
        result = await self.send(target["inbox"], follow)
        return web.json_response({**result, "activity": follow, "target": target})

    async def control_send(self, request: web.Request) -> web.Response:
        data = await request.json()
        target = await self.resolve(data["target"])
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{self.base}/activities/{uuid.uuid4()}",
            "actor": self.actor_id,
            **data["activity"],
        }
        result = await self.send(target["inbox"], activity)
        return web.json_response({**result, "activity": activity, "target": target})

    # --- life cycle --------------------------------------------------------------------

    async def start_session(self, app: web.Application):
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self.client = SignedHttpClient(self.session, self.key_id, self.private_pem)

    async def close_session(self, app: web.Application):
        await self.session.close()

    def app(self) -> web.Application:
        app = web.Application()
        user = f"/users/{self.name}"
        app.add_routes(
            [
                web.get("/.well-known/webfinger", self.webfinger),
                web.get(user, self.actor_document),
                web.post(f"{user}/inbox", self.inbox_post),
                web.get(f"{user}/followers", self.followers_collection),
                web.get(f"{user}/following", self.empty_collection),
                web.get(f"{user}/outbox", self.empty_collection),
                web.post("/control/follow", self.control_follow),
                web.post("/control/send", self.control_send),
            ]
        )
        app.on_startup.append(self.start_session)
        app.on_cleanup.append(self.close_session)
        return app


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("state_dir", type=Path)
    parser.add_argument("--name", default="bob")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    peer = Peer(args.port, args.state_dir, args.name)
    web.run_app(peer.app(), host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
