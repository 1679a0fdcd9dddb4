#!/usr/bin/python3
"""Prints the trust bundle's "matters" and "readers" members (docs/formats.md, "The wallet's checks"): the
matters catalogue of policies/matters.yaml, each with the licence types and elements it needs, and each
example counter's reader certificate (readers/<client>.crt) registered for the matters clients.yaml lets
it serve. A wallet refuses a request from a reader that is not registered, or one that asks for more than
a matter the reader is registered for needs. Called by generate.sh; NOT FOR PRODUCTION."""
import base64
import hashlib
import json
import os
import subprocess
import sys

import yaml

here = os.path.dirname(os.path.abspath(__file__))
policies = os.path.join(here, "..", "policies")
types = {t["code"]: t["name"] for t in yaml.safe_load(open(os.path.join(policies, "licence-types.yaml")))["licence_types"]}
matters = yaml.safe_load(open(os.path.join(policies, "matters.yaml")))["matters"]
clients = yaml.safe_load(open(os.path.join(policies, "clients.yaml")))["clients"]


def client_id(cert):
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout
    return "x509_hash:" + base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


catalogue = [{"code": m["code"], "name": m["name"],
              "needs": [{"type": n["type"], "type_name": types[n["type"]], "elements": n["elements"]}
                        for n in m["licences"]]} for m in matters]
readers = []
for c in clients:
    cert = os.path.join(here, "readers", c["id"] + ".crt")
    if c["role"] == "counter" and os.path.exists(cert):
        readers.append({"client_id": client_id(cert), "name": c["name"], "matters": c["matters"]})
out = [',\n  "matters": [\n' + ",\n".join("    " + json.dumps(m, ensure_ascii=False) for m in catalogue) + "\n  ]",
       ',\n  "readers": [\n' + ",\n".join("    " + json.dumps(r, ensure_ascii=False) for r in readers) + "\n  ]"]
sys.stdout.write("".join(out))
