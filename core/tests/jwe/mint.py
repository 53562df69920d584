#!/usr/bin/env python3
"""Mints the JWE fixtures of core/tests/jwe with jwcrypto, a JOSE implementation independent
of ours, and prints them as one JSON document on stdout:

  {"keys": <JWK Set with the private and secret keys>,
   "signing_keys": <JWK Set with the public key of the nested tokens' signer>,
   "tokens": [{"alg", "enc", "kid", "token", "plaintext"}, ...],   every alg x enc pair
   "nested": [{"alg", "enc", "token", "jws"}, ...],                 JWS inside JWE, cty JWT
   "special": {name: token}}                                       tokens for refusal tests

Keys are generated fresh on every run. Requires: pip install jwcrypto.
"""

import json
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from jwcrypto import jwa, jwe, jwk, jws
from jwcrypto.common import json_encode

ENCS = ["A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512", "A128GCM", "A192GCM", "A256GCM"]
CEK_BITS = {"A128CBC-HS256": 256, "A192CBC-HS384": 384, "A256CBC-HS512": 512,
            "A128GCM": 128, "A192GCM": 192, "A256GCM": 256}
PASSWORD = "correct horse battery staple"


def register_rsa_oaep(name, hash_class):
    """jwcrypto 1.6 lacks RSA-OAEP-384/-512 (NGINX Plus has them): registered here from its
    own RSA-OAEP-256 class, with the hash swapped (OAEP and MGF1 both with the named SHA-2)."""

    class RsaOaep(jwa._RsaOaep256):  # noqa: N801 (jwcrypto's naming)
        def __init__(self):
            jwa._RSA.__init__(self, padding.OAEP(padding.MGF1(hash_class()), hash_class(), None))

    RsaOaep.name = name
    jwa.JWA.algorithms_registry.setdefault(name, RsaOaep)


register_rsa_oaep("RSA-OAEP-384", hashes.SHA384)
register_rsa_oaep("RSA-OAEP-512", hashes.SHA512)


def oct_key(kid, bits=None, secret=None):
    if secret is not None:
        return jwk.JWK(kty="oct", kid=kid, k=jwk.base64url_encode(secret))
    return jwk.JWK.generate(kty="oct", size=bits, kid=kid)


def main():
    keys = {}
    for bits in (128, 192, 256, 384, 512):
        keys[f"dir-{bits}"] = oct_key(f"dir-{bits}", bits)
    for bits in (128, 192, 256):
        keys[f"kw-{bits}"] = oct_key(f"kw-{bits}", bits)
    keys["pbes2"] = oct_key("pbes2", secret=PASSWORD.encode())
    keys["rsa"] = jwk.JWK.generate(kty="RSA", size=2048, kid="rsa")
    for crv, kid in (("P-256", "p256"), ("P-384", "p384"), ("P-521", "p521")):
        keys[kid] = jwk.JWK.generate(kty="EC", crv=crv, kid=kid)
    keys["x25519"] = jwk.JWK.generate(kty="OKP", crv="X25519", kid="x25519")

    signer = jwk.JWK.generate(kty="RSA", size=2048, kid="signer")

    def key_for(alg, enc):
        if alg == "dir":
            return keys[f"dir-{CEK_BITS[enc]}"]
        if alg.startswith("PBES2"):
            return keys["pbes2"]
        if alg.startswith("RSA"):
            return keys["rsa"]
        if alg[1:4].isdigit() and "KW" in alg:
            return keys[f"kw-{alg[1:4]}"]
        raise ValueError(alg)

    algs = ["dir", "A128KW", "A192KW", "A256KW", "A128GCMKW", "A192GCMKW", "A256GCMKW",
            "RSA-OAEP", "RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512",
            "PBES2-HS256+A128KW", "PBES2-HS384+A192KW", "PBES2-HS512+A256KW"]
    ecdh_algs = ["ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW"]
    all_algs = algs + ecdh_algs + ["RSA1_5"] + ENCS

    def encrypt(plaintext, key, header):
        token = jwe.JWE(plaintext.encode(), json_encode(header))
        token.allowed_algs = all_algs
        token.add_recipient(key)
        return token.serialize(compact=True)

    tokens = []

    def mint(alg, enc, key):
        plaintext = json.dumps({"sub": "alice", "case": f"{alg} {enc} {key.kid}"})
        header = {"alg": alg, "enc": enc, "kid": key.kid}
        tokens.append({"alg": alg, "enc": enc, "kid": key.kid, "plaintext": plaintext,
                       "token": encrypt(plaintext, key, header)})

    for alg in algs:
        for enc in ENCS:
            mint(alg, enc, key_for(alg, enc))
    for alg in ecdh_algs:
        for enc in ENCS:
            for kid in ("p256", "p384", "p521", "x25519"):
                mint(alg, enc, keys[kid])

    nested = []
    for alg, enc, key in (("RSA-OAEP-256", "A256GCM", keys["rsa"]),
                          ("dir", "A128CBC-HS256", keys["dir-256"]),
                          ("ECDH-ES+A256KW", "A256GCM", keys["p256"])):
        inner = jws.JWS(json.dumps({"sub": "bob", "iss": "nested"}).encode())
        inner.add_signature(signer, alg="RS256",
                            protected=json_encode({"alg": "RS256", "kid": "signer"}))
        compact = inner.serialize(compact=True)
        header = {"alg": alg, "enc": enc, "kid": key.kid, "cty": "JWT"}
        nested.append({"alg": alg, "enc": enc, "jws": compact,
                       "token": encrypt(compact, key, header)})

    claims = json.dumps({"sub": "mallory"})
    special = {
        "rsa1_5": encrypt(claims, keys["rsa"], {"alg": "RSA1_5", "enc": "A128GCM", "kid": "rsa"}),
        "zip": encrypt(claims, keys["kw-128"],
                       {"alg": "A128KW", "enc": "A128GCM", "kid": "kw-128", "zip": "DEF"}),
        # Above our cap on p2c, within jwcrypto's own.
        "p2c_16384": encrypt(claims, keys["pbes2"], {"alg": "PBES2-HS256+A128KW",
                                                     "enc": "A128GCM", "kid": "pbes2",
                                                     "p2c": 16384}),
        "p2c_10000": encrypt(claims, keys["pbes2"], {"alg": "PBES2-HS512+A256KW",
                                                     "enc": "A256GCM", "kid": "pbes2",
                                                     "p2c": 10000}),
        # A dir token under a 256-bit key, for a key set whose "dir-256" key is 128 bits.
        "dir_a256gcm": encrypt(claims, keys["dir-256"],
                               {"alg": "dir", "enc": "A256GCM", "kid": "dir-256"}),
        "no_kid_a128kw": encrypt(claims, keys["kw-128"], {"alg": "A128KW", "enc": "A128GCM"}),
        # For the pipeline: time claims, and claims the strict JSON rules refuse.
        "exp_a256kw": encrypt(json.dumps({"sub": "carol", "exp": 2000000000, "nbf": 1600000000}),
                              keys["kw-256"], {"alg": "A256KW", "enc": "A128CBC-HS256",
                                               "kid": "kw-256"}),
        "duplicate_claims": encrypt('{"sub": "a", "sub": "b"}', keys["kw-256"],
                                    {"alg": "A256KW", "enc": "A256GCM", "kid": "kw-256"}),
        "not_an_object": encrypt('["sub"]', keys["kw-256"],
                                 {"alg": "A256KW", "enc": "A256GCM", "kid": "kw-256"}),
    }

    key_set = {"keys": [json.loads(k.export(private_key=True)) for k in keys.values()]}
    signing = {"keys": [json.loads(signer.export_public())]}
    json.dump({"keys": key_set, "signing_keys": signing, "tokens": tokens, "nested": nested,
               "special": special}, sys.stdout)


if __name__ == "__main__":
    main()
