#!/usr/bin/env python3
"""Writes fuzz/jwe_keys.json (the fixed decryption keys of the `jwe` fuzz target) and one seed
token per key management family into fuzz/seeds/jwe/, minted with jwcrypto. Run once, from
the repository root: python3 fuzz/make-jwe-seeds.py (needs: pip install jwcrypto)."""

import json
import os

from jwcrypto import jwe, jwk
from jwcrypto.common import json_encode

keys = [jwk.JWK.generate(kty="oct", size=bits) for bits in (128, 192, 256, 384, 512)]
keys.append(jwk.JWK(kty="oct", k=jwk.base64url_encode(b"fuzzing password")))
keys.append(jwk.JWK.generate(kty="RSA", size=2048))
keys.append(jwk.JWK.generate(kty="EC", crv="P-256"))
keys.append(jwk.JWK.generate(kty="OKP", crv="X25519"))
with open("fuzz/jwe_keys.json", "w") as f:
    json.dump({"keys": [json.loads(k.export(private_key=True)) for k in keys]}, f, indent=1)

seeds = {
    "dir-a256gcm": ("dir", "A256GCM", keys[2]),
    "dir-a128cbc": ("dir", "A128CBC-HS256", keys[2]),
    "a192kw-a192gcm": ("A192KW", "A192GCM", keys[1]),
    "a128gcmkw-a256cbc": ("A128GCMKW", "A256CBC-HS512", keys[0]),
    "rsa-oaep-256": ("RSA-OAEP-256", "A256GCM", keys[6]),
    "ecdh-es-p256": ("ECDH-ES+A128KW", "A128GCM", keys[7]),
    "ecdh-es-x25519": ("ECDH-ES", "A256GCM", keys[8]),
    "pbes2": ("PBES2-HS256+A128KW", "A128GCM", keys[5]),
}
os.makedirs("fuzz/seeds/jwe", exist_ok=True)
for name, (alg, enc, key) in seeds.items():
    header = {"alg": alg, "enc": enc, "cty": "JWT"} if name == "dir-a256gcm" else {"alg": alg, "enc": enc}
    if alg.startswith("PBES2"):
        header["p2c"] = 50
    token = jwe.JWE(b'{"sub":"fuzz","exp":1700003600}', json_encode(header))
    token.add_recipient(key)
    with open(f"fuzz/seeds/jwe/{name}", "w") as f:
        f.write(token.serialize(compact=True))
