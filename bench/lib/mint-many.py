#!/usr/bin/env python3
"""Bulk token and key-set minting for bench/bench.pl, with the `cryptography` package.

t/lib/JwtTest.pm mints through the openssl command line, one process per token: fine for the
tests, but thousands of tokens take minutes there and seconds here. Like JwtTest.pm, this
shares no code with the module, so a token is signed the way any third-party issuer signs it.

  mint-many.py tokens KEY KID COUNT [--alg ALG] [--exp-in S] [--nbf-in S] [--first N]
      COUNT distinct tokens, one a line, signed with KEY (a PEM private key, or the raw
      secret file for HS256); ALG is RS256 (default), ES256, EdDSA or HS256. Claims are
      shaped like bench.pl's own (iss, aud,
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
import hashlib
import hmac
import json
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(obj) -> bytes:
    # Sorted members and no spaces: what JwtTest.pm's canonical JSON::PP writes.
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def signer(alg, key_file):
    """A function from the signing input to the JWS signature bytes."""
    with open(key_file, "rb") as f:
        material = f.read()
    if alg == "HS256":
        return lambda data: hmac.new(material, data, hashlib.sha256).digest()
    key = serialization.load_pem_private_key(material, password=None)
    if alg == "RS256":
        return lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "ES256":
        def es256(data):
            # cryptography gives DER; JWS wants the fixed-width r || s.
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return es256
    if alg == "EdDSA":
        return key.sign
    raise SystemExit(f"mint-many.py: unsupported alg {alg}")


def tokens(args):
    sign = signer(args.alg, args.key)
    now = int(time.time())
    header = b64url(compact({"alg": args.alg, "kid": args.kid, "typ": "JWT"}))
    out = sys.stdout
    for n in range(args.first, args.first + args.count):
        claims = {"iss": "https://idp.example.com", "aud": "api", "sub": f"user-{n}",
                  "jti": str(n), "iat": now, "exp": now + args.exp_in, "scope": "read write"}
        if args.nbf_in is not None:
            claims["nbf"] = now + args.nbf_in
        signing_input = f"{header}.{b64url(compact(claims))}"
        out.write(f"{signing_input}.{b64url(sign(signing_input.encode()))}\n")


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
    t.add_argument("--alg", default="RS256", choices=["RS256", "ES256", "EdDSA", "HS256"])
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
