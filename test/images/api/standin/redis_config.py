"""The three Redis connections of lago-api, each with its own variables.

- Sidekiq (lib/lago/redis_config_builder.rb `sidekiq`): REDIS_URL, REDIS_PASSWORD winning over a
  password in the URL, rediss:// without certificate checks.
- Cache (same file, `cache`): LAGO_REDIS_CACHE_URL and LAGO_REDIS_CACHE_PASSWORD; no cache without a URL.
- ActionCable (config/cable.yml): LAGO_REDIS_CABLE_URL, else REDIS_URL, and nothing else: a password
  must be in the URL, and LAGO_REDIS_CABLE_URL set to "" is an empty URL, not a fallback.
Sentinel variables are not modelled (the stand-in connects to the URL's server).
"""
import os

import redis

SIDEKIQ = ("REDIS_URL", "REDIS_PASSWORD")
CACHE = ("LAGO_REDIS_CACHE_URL", "LAGO_REDIS_CACHE_PASSWORD")


def client(kind=SIDEKIQ):
    url_var, password_var = kind
    # Sidekiq's own default when REDIS_URL is unset.
    url = os.environ.get(url_var, "").strip() or "redis://localhost:6379/0"
    options = {"socket_timeout": 2, "socket_connect_timeout": 2}
    if url.startswith("rediss://"):
        options["ssl_cert_reqs"] = None
    client = redis.Redis.from_url(url, **options)
    if os.environ.get(password_var, "").strip():
        # redis-py lets the URL's password win over a keyword; Lago's builder does the opposite.
        client.connection_pool.connection_kwargs["password"] = os.environ[password_var]
    return client


def cache_enabled():
    return bool(os.environ.get("LAGO_REDIS_CACHE_URL", "").strip())


def cable_client():
    # ENV.fetch: a variable set to "" is taken as is (and fails), not skipped.
    url = os.environ.get("LAGO_REDIS_CABLE_URL", os.environ.get("REDIS_URL", "redis://localhost:6379/1"))
    options = {"socket_timeout": 2, "socket_connect_timeout": 2}
    if url.startswith("rediss://"):
        options["ssl_cert_reqs"] = None
    return redis.Redis.from_url(url, **options)


def problem(kind=SIDEKIQ):
    """Why PING fails on this connection, or None."""
    try:
        client(kind).ping()
        return None
    except (redis.RedisError, ValueError) as e:
        return f"redis ({kind[0]}): {e}"
