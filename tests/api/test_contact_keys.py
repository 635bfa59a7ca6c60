"""Contacts' OpenPGP keys: parsed with gpgme, fingerprint stored, bad keys
refused. Keys are generated per run with GnuPG in a temporary home."""
import os
import shutil
import subprocess

import pytest

from csirtd_testlib import assert_problem

GPG = shutil.which("gpg")
pytestmark = pytest.mark.skipif(GPG is None, reason="gpg is installed by make check")


def gpg(home, *args, input=None):
    env = dict(os.environ, GNUPGHOME=str(home))
    r = subprocess.run([GPG, "--batch", "--yes", "--pinentry-mode", "loopback",
                        "--passphrase", "", *args], env=env, input=input,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    home = tmp_path_factory.mktemp("gnupg")
    os.chmod(home, 0o700)
    gpg(home, "--quick-gen-key", "Abuse Desk <abuse@isp.example>", "ed25519", "sign,cert", "1y")
    fpr = [l.split(":")[9] for l in gpg(home, "--with-colons", "--list-keys").splitlines()
           if l.startswith("fpr:")][0]
    sign_only = gpg(home, "--armor", "--export", fpr)
    gpg(home, "--quick-add-key", fpr, "cv25519", "encr", "1y")
    full = gpg(home, "--armor", "--export", fpr)
    secret = gpg(home, "--armor", "--export-secret-keys", fpr)
    gpg(home, "--quick-gen-key", "Other <o@isp.example>", "ed25519", "default", "1y")
    both = gpg(home, "--armor", "--export")
    return {"fpr": fpr, "full": full, "sign_only": sign_only, "secret": secret, "two": both}


@pytest.fixture(scope="module")
def org(server):
    r = server.admin().post("/api/v1/orgs", json={"name": "ISP", "short_name": "ISP-PGP"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_key_fingerprint_stored(server, keys, org):
    a = server.admin()
    r = a.post(f"/api/v1/orgs/{org}/contacts",
               json={"email": "abuse@isp.example", "role": "abuse", "pgp_key": keys["full"]})
    assert r.status_code == 201, r.text
    assert r.json()["pgp_fingerprint"] == keys["fpr"]
    listed = a.get(f"/api/v1/orgs/{org}/contacts").json()["items"]
    assert listed[0]["pgp_fingerprint"] == keys["fpr"]
    r = a.post(f"/api/v1/orgs/{org}/contacts", json={"email": "noc@isp.example", "role": "security"})
    assert r.status_code == 201 and r.json()["pgp_fingerprint"] is None


@pytest.mark.parametrize("which,reason", [
    ("sign_only", "encryption"), ("secret", "private"), ("two", "more than one"),
    ("garbage", "armoured"), ("truncated", "readable"),
])
def test_bad_keys_refused(server, keys, org, which, reason):
    key = {"garbage": "hello",
           "truncated": keys["full"][:len(keys["full"]) // 2] + "\n-----END PGP PUBLIC KEY BLOCK-----\n"
           }.get(which) or keys[which]
    r = server.admin().post(f"/api/v1/orgs/{org}/contacts",
                            json={"email": f"{which}@isp.example", "role": "security",
                                  "pgp_key": key})
    p = assert_problem(r, 400)
    assert p["errors"][0]["field"] == "pgp_key"
    assert reason in p["errors"][0]["detail"], p
