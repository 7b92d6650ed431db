"""ActiveStorage as lago-api uses it for invoice PDFs (and XML, CSV exports, logos).

- The service (config/environments/production.rb): S3 when LAGO_USE_AWS_S3 is "true" (an S3-compatible
  one when LAGO_AWS_S3_ENDPOINT is set), GCS when LAGO_USE_GCS is "true" (key file at
  LAGO_GCS_KEYFILE_JSON_PATH, default /app/gcs_keyfile.json: config/storage.yml), else the local disk
  under /app/storage (config/storage.yml `local`), where a worker writes and the api reads: one volume.
- Links (app/models/invoice.rb `file_url`): File.join(LAGO_API_URL, rails_blob_path), i.e.
  LAGO_API_URL/rails/active_storage/blobs/redirect/SIGNED_ID/FILENAME, which redirects (302) to the
  service's URL; for the disk, /rails/active_storage/disk/SIGNED_KEY/FILENAME built from the request
  (ActiveStorage::SetCurrent): scheme https unless LAGO_DISABLE_SSL (config.assume_ssl), host and port
  from X-Forwarded-Host, else Host. Only S3-free local disk is served by the stand-in.
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import string
import time

from .boot import cast_boolean, is_true

ROOT = "/app/storage"
URL_EXPIRY = 300  # ActiveStorage.service_urls_expire_in: 5 minutes
PRIVATE_NETS = ("10.", "127.", "192.168.", "::1", "fc", "fd") + tuple(f"172.{n}." for n in range(16, 32))


def service():
    if is_true("LAGO_USE_AWS_S3"):
        return "amazon_compatible_endpoint" if os.environ.get("LAGO_AWS_S3_ENDPOINT", "").strip() else "amazon"
    if is_true("LAGO_USE_GCS"):
        return "google"
    return "local"


def gcs_keyfile():
    return os.environ.get("LAGO_GCS_KEYFILE_JSON_PATH", "/app/gcs_keyfile.json")


def describe():
    """For /debug/env: which service, and for GCS whether the key file is there."""
    out = {"service": service()}
    if out["service"] == "google":
        out.update({"keyfile": gcs_keyfile(), "keyfile_readable": os.access(gcs_keyfile(), os.R_OK)})
    return out


class StorageError(Exception):
    pass


# --- Signed values (ActiveSupport::MessageVerifier keyed from SECRET_KEY_BASE) ---------------------------

def _key(purpose):
    base = os.environ.get("SECRET_KEY_BASE", "")
    if not base:
        raise StorageError("Missing secret_key_base for 'production' environment")
    return hashlib.pbkdf2_hmac("sha256", base.encode(), purpose.encode(), 1000)


def sign(payload, purpose):
    data = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    digest = hmac.new(_key(purpose), data.encode(), hashlib.sha256).hexdigest()
    return f"{data}--{digest}"


def verify(token, purpose):
    """The payload, or None when the signature is wrong or it has expired."""
    data, _, digest = token.rpartition("--")
    if not data or not hmac.compare_digest(hmac.new(_key(purpose), data.encode(), hashlib.sha256).hexdigest(),
                                           digest):
        return None
    payload = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    return None if payload.get("exp", time.time() + 1) < time.time() else payload


# --- Disk service --------------------------------------------------------------------------------------

def path_for(key):
    """ActiveStorage::Service::DiskService#path_for: ROOT/ab/cd/abcd..."""
    return os.path.join(ROOT, key[0:2], key[2:4], key)


def upload(cur, record_type, record_id, name, filename, content_type, data):
    """Stores `data` and attaches it to the record (one attachment per name); returns the blob id."""
    svc = service()
    if svc == "google" and not os.access(gcs_keyfile(), os.R_OK):
        raise StorageError(f"GCS credentials file {gcs_keyfile()} is missing or unreadable")
    if svc != "local":
        raise StorageError(f"stand-in: the {svc} storage service is not modelled")
    key = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(28))
    path = path_for(key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".part", "wb") as f:
        f.write(data)
    os.replace(path + ".part", path)
    checksum = base64.b64encode(hashlib.md5(data).digest()).decode()
    cur.execute("INSERT INTO active_storage_blobs (key, filename, content_type, byte_size, checksum, service_name)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (key, filename, content_type, len(data), checksum, svc))
    blob_id = cur.fetchone()[0]
    cur.execute("INSERT INTO active_storage_attachments (name, record_type, record_id, blob_id)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (record_type, record_id, name) DO UPDATE SET blob_id ="
                " EXCLUDED.blob_id", (name, record_type, record_id, blob_id))
    return blob_id


def attached(cur, record_type, record_id, name):
    """(blob id, filename) of the attachment, or None."""
    cur.execute("SELECT b.id, b.filename FROM active_storage_attachments a JOIN active_storage_blobs b"
                " ON b.id = a.blob_id WHERE a.record_type = %s AND a.record_id = %s AND a.name = %s",
                (record_type, record_id, name))
    return cur.fetchone()


def blob_url(blob_id, filename):
    """File.join(ENV["LAGO_API_URL"], rails_blob_path(blob)) as app/models/invoice.rb#file_url builds it."""
    api_url = os.environ.get("LAGO_API_URL")
    if api_url is None:
        raise StorageError("no implicit conversion of nil into String (LAGO_API_URL is not set)")
    path = f"/rails/active_storage/blobs/redirect/{sign({'blob_id': str(blob_id)}, 'blob_id')}/{filename}"
    return api_url.rstrip("/") + path


# --- What the request says about where the client is (ActionDispatch::Request) ---------------------------

def url_options(headers, remote_addr):
    """protocol, host and port for URLs built from this request."""
    if not cast_boolean("LAGO_DISABLE_SSL"):
        protocol = "https"  # config.assume_ssl
    else:
        forwarded = (headers.get("X-Forwarded-Proto") or "").split(",")[-1].strip()
        trusted = remote_addr.startswith(PRIVATE_NETS)
        protocol = forwarded if trusted and forwarded in ("http", "https") else "http"
    raw = (headers.get("X-Forwarded-Host") or "").split(",")[-1].strip() or headers.get("Host") or "localhost"
    host, _, port = raw.rpartition(":") if raw.rsplit(":", 1)[-1].isdigit() and not raw.endswith("]") else (
        raw, "", "")
    standard = {"http": "80", "https": "443"}[protocol]
    return protocol, host, port if port and port != standard else ""


def disk_url(headers, remote_addr, key, filename, content_type):
    protocol, host, port = url_options(headers, remote_addr)
    token = sign({"key": key, "disposition": f'inline; filename="{filename}"', "content_type": content_type,
                  "exp": time.time() + URL_EXPIRY}, "blob_key")
    return f"{protocol}://{host}{':' + port if port else ''}/rails/active_storage/disk/{token}/{filename}"
