#!/usr/bin/env python3
"""Mints the tokens and JWK Sets of t/71-key-request-jwe.t with jwcrypto (PyPI), a JOSE
implementation independent of ours, and prints one JSON document on stdout:

  {"first":   <JWK Set: the decryption key "enc-a" and the signer's public key>,
   "rotated": <the same plus the decryption key "enc-b">,
   "broken":  <"first" with enc-a's private exponent taken from another RSA key>,
   "tokens":  {"enc_a", "enc_b": encrypted (claims inside the JWE),
               "nested_a", "nested_b": a JWS (RS256, kid "signer") inside a JWE}}

Keys are generated on every run. Usage: jwe_kr_mint.py EXP (the exp claim of every token).
"""

import json
import sys

from jwcrypto import jwe, jwk, jws
from jwcrypto.common import json_encode


def public(key):
    return json.loads(key.export_public())


def private(key):
    """A decryption key, marked as one (the set holds a signing key too)."""
    exported = json.loads(key.export_private())
    exported["use"] = "enc"
    return exported


def encrypt(plaintext, key, header):
    token = jwe.JWE(plaintext.encode(), json_encode(header))
    token.add_recipient(key)
    return token.serialize(compact=True)


def main():
    exp = int(sys.argv[1])
    enc_a = jwk.JWK.generate(kty="RSA", size=2048, kid="enc-a")
    enc_b = jwk.JWK.generate(kty="EC", crv="P-256", kid="enc-b")
    other = jwk.JWK.generate(kty="RSA", size=2048, kid="enc-a")
    signer = jwk.JWK.generate(kty="RSA", size=2048, kid="signer")

    first = {"keys": [private(enc_a), public(signer)]}
    rotated = {"keys": [private(enc_a), private(enc_b), public(signer)]}
    broken_a = private(enc_a)
    broken_a["d"] = private(other)["d"]
    broken = {"keys": [broken_a, public(signer)]}

    def claims(sub):
        return json.dumps({"sub": sub, "exp": exp}, separators=(",", ":"))

    def nested(key, kid, alg, enc, sub):
        inner = jws.JWS(claims(sub).encode())
        inner.add_signature(signer, None, json_encode({"alg": "RS256", "kid": "signer"}))
        compact = inner.serialize(compact=True)
        return encrypt(compact, key, {"alg": alg, "enc": enc, "kid": kid, "cty": "JWT"})

    tokens = {
        "enc_a": encrypt(claims("alice"), enc_a,
                         {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "enc-a"}),
        "enc_b": encrypt(claims("bob"), enc_b,
                         {"alg": "ECDH-ES+A128KW", "enc": "A128GCM", "kid": "enc-b"}),
        "nested_a": nested(enc_a, "enc-a", "RSA-OAEP-256", "A256GCM", "carol"),
        "nested_b": nested(enc_b, "enc-b", "ECDH-ES+A128KW", "A128GCM", "dave"),
    }
    json.dump({"first": first, "rotated": rotated, "broken": broken, "tokens": tokens},
              sys.stdout)


if __name__ == "__main__":
    main()
