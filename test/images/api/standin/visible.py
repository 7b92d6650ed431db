"""Stand-in only (no upstream counterpart): GET /debug/env, what tests may see of the environment."""
import hashlib
import os
import re
import urllib.parse

from . import storage
from .boot import HOSTNAME, VERSION

SECRET_NAME = re.compile(r"PASSWORD|SECRET|PRIVATE_KEY|_KEY($|_)|SALT|TOKEN|DSN|LICENSE|CREDENTIALS")
NOT_CONFIG = {"PATH", "HOME", "HOSTNAME", "PWD", "SHLVL", "LANG", "TERM", "DEBIAN_FRONTEND", "_"}


def visible_env():
    """Non-secret variables with their values (URL passwords masked); secrets only as sha256 of the value,
    so tests can compare them across hosts without seeing them. Also the storage service in use."""
    env, secrets = {}, {}
    for name, value in sorted(os.environ.items()):
        if name in NOT_CONFIG:
            continue
        digest = hashlib.sha256(value.encode()).hexdigest()
        if SECRET_NAME.search(name):
            secrets[name] = digest
            continue
        u = urllib.parse.urlsplit(value) if "://" in value else None
        if u and u.password:
            secrets[name] = digest
            value = value.replace(f":{u.password}@", ":***@", 1)
        env[name] = value
    return {"version": VERSION, "hostname": HOSTNAME, "env": env, "secrets": secrets, "storage": storage.describe()}
