#!/usr/bin/env python3
"""Bulk token and key-set minting for bench/bench.pl, with the `cryptography` package.

t/lib/JwtTest.pm mints through the openssl command line, one process per token: fine for the
tests, but thousands of tokens take minutes there and seconds here. Like JwtTest.pm, this
shares no code with the module, so a token is signed the way any third-party issuer signs it.

  mint-many.py tokens KEY.pem KID COUNT [--exp-in S] [--nbf-in S] [--first N]
      COUNT distinct RS256 tokens, one a line, claims shaped like bench.pl's own (iss, aud,
      sub, jti, iat, exp, scope; nbf when --nbf-in is given). --exp-in/--nbf-in are seconds
      from now (negative: in the past). --first numbers the tokens from N, so that two
      files never share a token.
  mint-many.py jwks BASE.json COUNT
      A JWK Set of COUNT P-256 keys with distinct kids ("bench-0001"...), followed by the
      keys of BASE.json: the kid the tokens name comes last, where a linear search would
      find it latest.
"""
import argparse
import base64
import json
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(obj) -> bytes:
    # Sorted members and no spaces: what JwtTest.pm's canonical JSON::PP writes.
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def tokens(args):
    with open(args.key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    now = int(time.time())
    header = b64url(compact({"alg": "RS256", "kid": args.kid, "typ": "JWT"}))
    out = sys.stdout
    for n in range(args.first, args.first + args.count):
        claims = {"iss": "https://idp.example.com", "aud": "api", "sub": f"user-{n}",
                  "jti": str(n), "iat": now, "exp": now + args.exp_in, "scope": "read write"}
        if args.nbf_in is not None:
            claims["nbf"] = now + args.nbf_in
        signing_input = f"{header}.{b64url(compact(claims))}"
        signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        out.write(f"{signing_input}.{b64url(signature)}\n")


def jwks(args):
    with open(args.base) as f:
        base = json.load(f)["keys"]
    keys = []
    for n in range(1, args.count + 1):
        public = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
        keys.append({"kty": "EC", "crv": "P-256", "kid": f"bench-{n:04d}", "alg": "ES256",
                     "x": b64url(public.x.to_bytes(32, "big")),
                     "y": b64url(public.y.to_bytes(32, "big"))})
    json.dump({"keys": keys + base}, sys.stdout, indent=1)
    sys.stdout.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    t = sub.add_parser("tokens")
    t.add_argument("key")
    t.add_argument("kid")
    t.add_argument("count", type=int)
    t.add_argument("--exp-in", type=int, default=2 * 86400)
    t.add_argument("--nbf-in", type=int)
    t.add_argument("--first", type=int, default=1)
    t.set_defaults(run=tokens)
    j = sub.add_parser("jwks")
    j.add_argument("base")
    j.add_argument("count", type=int)
    j.set_defaults(run=jwks)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
