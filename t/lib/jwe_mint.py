#!/usr/bin/env python3
"""Mints the encrypted tokens of t/62-jwe.t with jwcrypto (PyPI), a JOSE implementation
independent of ours, and prints one JSON document on stdout:

  {"key_file": <JWK Set: the decryption keys ("use": "enc") and the signer's public key>,
   "foreign_key_file": <the same with the other keys, under the same kids>,
   "tokens":   [{"alg", "enc", "kid", "sub", "token"}, ...],   every alg x enc pair
   "nested":   [{"alg", "enc", "token", "jws"}, ...],           a JWS (RS256) inside a JWE
   "special":  {name: token}}                                  wrong keys, refused headers

Keys are generated on every run. Usage: jwe_mint.py EXP (the exp claim of every token).
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
ALGS = ["dir", "A128KW", "A192KW", "A256KW", "A128GCMKW", "A192GCMKW", "A256GCMKW",
        "RSA-OAEP", "RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512",
        "PBES2-HS256+A128KW", "PBES2-HS384+A192KW", "PBES2-HS512+A256KW"]
ECDH_ALGS = ["ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW"]
ECDH_KEYS = ["p256", "p384", "p521", "x25519"]


def register_rsa_oaep(name, hash_class):
    """jwcrypto 1.6 lacks RSA-OAEP-384/-512 (NGINX Plus has them): its RSA-OAEP-256 with the
    hash swapped (OAEP and MGF1 both with the named SHA-2)."""

    class RsaOaep(jwa._RsaOaep256):  # noqa: N801 (jwcrypto's naming)
        def __init__(self):
            jwa._RSA.__init__(self, padding.OAEP(padding.MGF1(hash_class()), hash_class(), None))

    RsaOaep.name = name
    jwa.JWA.algorithms_registry.setdefault(name, RsaOaep)


register_rsa_oaep("RSA-OAEP-384", hashes.SHA384)
register_rsa_oaep("RSA-OAEP-512", hashes.SHA512)


def generate_keys():
    keys = {}
    for bits in (128, 192, 256, 384, 512):
        keys[f"dir-{bits}"] = jwk.JWK.generate(kty="oct", size=bits, kid=f"dir-{bits}")
    for bits in (128, 192, 256):
        keys[f"kw-{bits}"] = jwk.JWK.generate(kty="oct", size=bits, kid=f"kw-{bits}")
    keys["pbes2"] = jwk.JWK(kty="oct", kid="pbes2",
                            k=jwk.base64url_encode(b"correct horse battery staple"))
    keys["rsa"] = jwk.JWK.generate(kty="RSA", size=2048, kid="rsa")
    for crv, kid in (("P-256", "p256"), ("P-384", "p384"), ("P-521", "p521")):
        keys[kid] = jwk.JWK.generate(kty="EC", crv=crv, kid=kid)
    keys["x25519"] = jwk.JWK.generate(kty="OKP", crv="X25519", kid="x25519")
    return keys


def key_for(keys, alg, enc):
    if alg == "dir":
        return keys[f"dir-{CEK_BITS[enc]}"]
    if alg.startswith("PBES2"):
        return keys["pbes2"]
    if alg.startswith("RSA"):
        return keys["rsa"]
    return keys[f"kw-{alg[1:4]}"]


def encrypt(plaintext, key, header):
    token = jwe.JWE(plaintext.encode(), json_encode(header))
    token.allowed_algs = ALGS + ECDH_ALGS + ["RSA1_5"] + ENCS
    token.add_recipient(key)
    return token.serialize(compact=True)


def signed(signer, claims):
    """A compact JWS (RS256) of `claims`."""
    inner = jws.JWS(json.dumps(claims).encode())
    inner.add_signature(signer, alg="RS256",
                        protected=json_encode({"alg": "RS256", "kid": signer.kid}))
    return inner.serialize(compact=True)


def main():
    exp = int(sys.argv[1])
    keys = generate_keys()
    signer = jwk.JWK.generate(kty="RSA", size=2048, kid="signer")

    tokens = []

    def mint(alg, enc, key):
        sub = f"{alg} {enc} {key.kid}"
        claims = json.dumps({"sub": sub, "exp": exp})
        header = {"alg": alg, "enc": enc, "kid": key.kid}
        tokens.append({"alg": alg, "enc": enc, "kid": key.kid, "sub": sub,
                       "token": encrypt(claims, key, header)})

    for alg in ALGS:
        for enc in ENCS:
            mint(alg, enc, key_for(keys, alg, enc))
    for alg in ECDH_ALGS:
        for enc in ENCS:
            for kid in ECDH_KEYS:
                mint(alg, enc, keys[kid])

    nested = []
    for alg, enc, key in (("RSA-OAEP-256", "A256GCM", keys["rsa"]),
                          ("dir", "A128CBC-HS256", keys["dir-256"]),
                          ("ECDH-ES+A256KW", "A256GCM", keys["p256"]),
                          ("A256KW", "A256CBC-HS512", keys["kw-256"])):
        compact = signed(signer, {"sub": "bob", "iss": "nested", "exp": exp})
        header = {"alg": alg, "enc": enc, "kid": key.kid, "cty": "JWT"}
        nested.append({"alg": alg, "enc": enc, "jws": compact,
                       "token": encrypt(compact, key, header)})

    # Keys with the same kid as ours but other material: a token for them must fail exactly
    # like a tampered one.
    foreign = generate_keys()
    claims = json.dumps({"sub": "mallory", "exp": exp})
    nested_header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "rsa", "cty": "JWT"}
    special = {
        "foreign_rsa": encrypt(claims, foreign["rsa"],
                               {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "rsa"}),
        "foreign_kw": encrypt(claims, foreign["kw-256"],
                              {"alg": "A256KW", "enc": "A128CBC-HS256", "kid": "kw-256"}),
        "foreign_dir": encrypt(claims, foreign["dir-256"],
                               {"alg": "dir", "enc": "A256GCM", "kid": "dir-256"}),
        "foreign_p256": encrypt(claims, foreign["p256"],
                                {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": "p256"}),
        # A nested token whose enclosed JWS is signed by a key we do not have.
        "nested_foreign_signer": encrypt(
            signed(jwk.JWK.generate(kty="RSA", size=2048, kid="signer"),
                   {"sub": "mallory", "exp": exp}),
            keys["rsa"], nested_header),
        "expired": encrypt(json.dumps({"sub": "old", "exp": 1000000000}), keys["kw-256"],
                           {"alg": "A256KW", "enc": "A256GCM", "kid": "kw-256"}),
        "rsa1_5": encrypt(claims, keys["rsa"], {"alg": "RSA1_5", "enc": "A128GCM", "kid": "rsa"}),
        "zip": encrypt(claims, keys["kw-128"],
                       {"alg": "A128KW", "enc": "A128GCM", "kid": "kw-128", "zip": "DEF"}),
        "p2c_16384": encrypt(claims, keys["pbes2"], {"alg": "PBES2-HS256+A128KW",
                                                     "enc": "A128GCM", "kid": "pbes2",
                                                     "p2c": 16384}),
        "unknown_kid": encrypt(claims, foreign["kw-256"],
                               {"alg": "A256KW", "enc": "A256GCM", "kid": "nobody"}),
    }

    def key_file(decryption_keys):
        enc_keys = []
        for key in decryption_keys.values():
            jwk_dict = json.loads(key.export(private_key=True))
            jwk_dict["use"] = "enc"
            enc_keys.append(jwk_dict)
        return {"keys": enc_keys + [json.loads(signer.export_public())]}

    json.dump({"key_file": key_file(keys), "foreign_key_file": key_file(foreign),
               "tokens": tokens, "nested": nested, "special": special}, sys.stdout)


if __name__ == "__main__":
    main()
