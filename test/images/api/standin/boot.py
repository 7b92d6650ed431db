"""What every process of the image does before its work, as a Rails boot would (test/images/CONTRACT.md).

Upstream: a Rails process (api, worker, clock, and the rake tasks of migrate) loads every initializer
first; config/initializers/rsa_keys.rb aborts the process when the webhook signing key is missing or
cannot be read, so a bad LAGO_RSA_PRIVATE_KEY is a container that exits, never a running one.
"""
import base64
import os
import re
import socket
import subprocess
import sys

with open("/app/LAGO_VERSION", encoding="utf-8") as f:
    VERSION = f.read().strip()
# Stand-in only: a release whose /health is always 500, for the upgrade rollback tests.
BROKEN = VERSION.endswith("-broken")
HOSTNAME = socket.gethostname()
GITHUB_URL = f"https://github.com/getlago/lago-api/tree/{VERSION}"

# config/initializers/rsa_keys.rb: this file wins over LAGO_RSA_PRIVATE_KEY (upstream's deploy/ compose
# keeps a generated key there, in the lago_rsa_data volume).
PRIVATE_KEY_PATH = "/app/config/keys/private.pem"


def log(msg):
    print(f"[lago-api stand-in {VERSION} {HOSTNAME}] {msg}", file=sys.stderr, flush=True)


def version_key(version):
    return tuple(int(x) for x in re.match(r"v?(\d+)\.(\d+)\.(\d+)", version).groups())


def env(name, default=None):
    """ENV.fetch(name, default): an empty value stays empty."""
    return os.environ.get(name, default)


def present(name):
    """ENV[name].present?: set and not blank."""
    return bool(os.environ.get(name, "").strip())


def is_true(name):
    """ENV[name] == "true", the test most of Lago's switches use (LAGO_SIDEKIQ_WEB, LAGO_USE_AWS_S3 ...)."""
    return os.environ.get(name) == "true"


def cast_boolean(name):
    """ActiveModel::Type::Boolean.new.cast(ENV[name]): blank is nil, these are false, anything else true."""
    value = os.environ.get(name, "")
    return value != "" and value not in {"0", "f", "F", "false", "FALSE", "off", "OFF"}


def decode64(text):
    """Ruby's Base64.decode64: characters outside the alphabet (line breaks included) are skipped."""
    kept = re.sub(r"[^A-Za-z0-9+/]", "", text.split("=")[0])
    kept = kept[:len(kept) - len(kept) % 4] + ("" if len(kept) % 4 == 1 else kept[len(kept) - len(kept) % 4:])
    return base64.b64decode(kept + "=" * (-len(kept) % 4))


class BootError(Exception):
    """What makes a Rails process exit during boot (an initializer raising or aborting)."""


def private_key_pem():
    """config/initializers/rsa_keys.rb: the key file, else Base64.decode64(LAGO_RSA_PRIVATE_KEY)."""
    if os.path.exists(PRIVATE_KEY_PATH):
        with open(PRIVATE_KEY_PATH, "rb") as f:
            pem = f.read()
    else:
        pem = decode64(os.environ.get("LAGO_RSA_PRIVATE_KEY", ""))
    if not pem.strip():
        raise BootError(
            "Error: Private key is blank, you must provide a private key to start the application. Exiting...")
    # OpenSSL::PKey::RSA.new: a PKCS#1 or PKCS#8 RSA key, PEM or DER; anything else raises.
    check = subprocess.run(["openssl", "rsa", "-pubout"], input=pem, capture_output=True, check=False)
    if check.returncode != 0:
        raise BootError("OpenSSL::PKey::RSAError: Neither PUB key nor PRIV key (LAGO_RSA_PRIVATE_KEY)")
    return check.stdout


def boot():
    """Returns the public key PEM (RsaPublicKey); exits 1 as an aborting initializer does."""
    try:
        return private_key_pem()
    except BootError as e:
        log(str(e))
        sys.exit(1)
