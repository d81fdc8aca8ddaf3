"""Checks Kogi-signed requests with bovine's own HTTP-signature verifier.

Usage:
  # fresh fixtures, signed now by Kogi (the Rust test writes them when the variable is set)
  KOGI_SIG_FIXTURE_DIR=/tmp/kogi-sig cargo test -p kogi-federation write_kogi_fixtures
  /work/main/target/test-tools/venv/bin/python verify_kogi_with_bovine.py /tmp/kogi-sig/*.json
  # or the committed ones
  /work/main/target/test-tools/venv/bin/python verify_kogi_with_bovine.py kogi_*.json

bovine refuses a Date more than 5 minutes from its clock; for an older fixture (the committed
ones) the script says so and runs bovine's check with the fixture's Date as "now".
Exit status 0 only when every fixture verifies.
"""

import asyncio
import json
import sys
from datetime import datetime, timedelta, timezone

import bovine.utils
from bovine.crypto import build_validate_http_signature_raw
from bovine.crypto.types import CryptographicIdentifier
from bovine.utils import parse_gmt

real_check = bovine.utils.check_max_offset_now


async def check(path: str) -> bool:
    with open(path) as f:
        fixture = json.load(f)
    headers = fixture["headers"]
    signed_at = parse_gmt(headers["date"])
    age = datetime.now(tz=timezone.utc) - signed_at
    frozen = abs(age) > timedelta(minutes=5)
    if frozen:
        # Same 5-minute rule, measured from the fixture's Date instead of the wall clock.
        bovine.utils.check_max_offset_now = lambda dt, minutes=5: abs(dt - signed_at) <= timedelta(
            minutes=minutes
        )
    else:
        bovine.utils.check_max_offset_now = real_check

    async def key_retriever(key_id):
        assert key_id == fixture["key_id"], key_id
        owner = key_id.split("#", 1)[0]
        return CryptographicIdentifier.from_pem(fixture["public_key_pem"], owner)

    async def body():
        return (fixture["body"] or "").encode("utf-8")

    validate = build_validate_http_signature_raw(key_retriever)
    owner = await validate(fixture["method"], fixture["url"], headers, body)
    clock = "frozen at its Date" if frozen else "live clock"
    verdict = f"OK, owner {owner}" if owner else "REFUSED"
    print(f"{path}: {fixture['method']} {fixture['url']} ({clock}): {verdict}")
    return owner is not None


async def main(paths):
    results = [await check(p) for p in paths]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
