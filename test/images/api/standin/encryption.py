"""Active Record encryption as lago-api configures it (config/application.rb) for `encrypts :secrets`
(app/models/concerns/secrets_storable.rb: payment providers' and integrations' secrets).

- The keys: ENCRYPTION_PRIMARY_KEY, ENCRYPTION_KEY_DERIVATION_SALT (each read first, else its LAGO_
  variable). The cipher key is PBKDF2 of the primary key with the salt, 2**16 iterations, 32 bytes, SHA1
  (`hash_digest_class = OpenSSL::Digest::SHA1`; Rails' ActiveSupport::KeyGenerator).
- Non-deterministic AES-256-GCM, a random 12-byte IV, no additional data; stored as Rails' message
  serializer writes it: JSON {"p": payload, "h": {"iv": ..., "at": auth tag}}, base64 (strict).
- Another key (a new primary key or salt) cannot decrypt: ActiveRecord::Encryption::Errors::Decryption.
Compression (Rails compresses payloads over 140 bytes) is not modelled: the stand-in's values are short.
"""
import base64
import functools
import hashlib
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class DecryptionError(Exception):
    """ActiveRecord::Encryption::Errors::Decryption."""


def _setting(name):
    return os.environ.get(f"ENCRYPTION_{name}") or os.environ.get(f"LAGO_ENCRYPTION_{name}") or ""


@functools.lru_cache(maxsize=4)
def _derive(primary, salt):
    return hashlib.pbkdf2_hmac("sha1", primary.encode(), salt.encode(), 2**16, 32)


def _key():
    primary, salt = _setting("PRIMARY_KEY"), _setting("KEY_DERIVATION_SALT")
    if not primary or not salt:
        raise DecryptionError("Missing Active Record encryption credential: active_record_encryption.primary_key")
    return _derive(primary, salt)


def encrypt(clear_text):
    iv = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(iv, clear_text.encode(), None)
    b64 = lambda b: base64.b64encode(b).decode()
    return json.dumps({"p": b64(sealed[:-16]), "h": {"iv": b64(iv), "at": b64(sealed[-16:])}})


def decrypt(stored):
    try:
        message = json.loads(stored)
        payload, iv, tag = (base64.b64decode(x) for x in (message["p"], message["h"]["iv"], message["h"]["at"]))
        return AESGCM(_key()).decrypt(iv, payload + tag, None).decode()
    except (InvalidTag, ValueError, KeyError, TypeError) as e:
        raise DecryptionError(f"ActiveRecord::Encryption::Errors::Decryption ({type(e).__name__})") from None
