"""POST /graphql, the front's API (app/controllers/graphql_controller.rb), for the few operations the tests
and the front stand-in use. Not a GraphQL parser: the operation is recognised by its field name and reads
its arguments from `variables` (what the front sends); the reply always has the same fields.

- loginUser(input: {email, password}) -> {token, user} (app/graphql/mutations/login_user.rb,
  app/services/users_service.rb#login); a wrong pair is a 200 with errors[0].extensions
  {status: 422, code: "unprocessable_entity", details: {base: ["incorrect_login_or_password"]}}.
- registerUser(input: {email, password, organizationName}): refused with {status: 405, code:
  "signup_disabled"} when LAGO_DISABLE_SIGNUP is "true" (users_service.rb#register).
- currentUser, apiKeys (values masked as "••••••••" + last 3: app/graphql/types/api_keys/sanitized_object.rb)
  and apiKey(id) (the value): need `Authorization: Bearer TOKEN`, the last two `x-lago-organization`.
- addStripePaymentProvider(input: {code, name, secretKey}) (app/graphql/mutations/payment_providers/stripe/
  create.rb) stores the secret key in the encrypted `secrets` (standin/encryption.py); paymentProviders
  (app/graphql/resolvers/payment_providers_resolver.rb) answers each provider's secretKey as
  ObfuscatedStringType does ("••••••••…" + last 3: app/graphql/types/obfuscated_string_type.rb), which
  decrypts it: with other encryption keys the request fails (a 500, graphql_controller.rb re-raises).
"""
import base64
import hashlib
import hmac
import json
import os
import re
import time

from . import db, encryption


def _b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def encode_token(user_id):
    """A JWT (HS256, SECRET_KEY_BASE), as Auth::TokenService encodes the session."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"sub": str(user_id), "exp": int(time.time()) + 86400,
                               "login_method": "email_password"}).encode())
    digest = hmac.new(os.environ["SECRET_KEY_BASE"].encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{_b64(digest.digest())}"


def decode_token(token):
    try:
        header, payload, signature = token.split(".")
        digest = hmac.new(os.environ["SECRET_KEY_BASE"].encode(), f"{header}.{payload}".encode(), hashlib.sha256)
        if not hmac.compare_digest(_b64(digest.digest()), signature):
            return None
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return claims["sub"] if claims["exp"] > time.time() else None
    except (ValueError, KeyError):
        return None


def error(field, message, status, code, details=None):
    extensions = {"status": status, "code": code, **({"details": details} if details else {})}
    return {"data": {field: None}, "errors": [{"message": message, "extensions": extensions, "path": [field]}]}


def user_payload(cur, user_id):
    cur.execute("SELECT email FROM users WHERE id = %s", (user_id,))
    email = cur.fetchone()[0]
    cur.execute("SELECT o.id, o.name FROM memberships m JOIN organizations o ON o.id = m.organization_id"
                " WHERE m.user_id = %s AND m.status = 'active' ORDER BY o.created_at", (user_id,))
    return {"id": str(user_id), "email": email,
            "organizations": [{"id": str(i), "name": n} for i, n in cur.fetchall()]}


def login(cur, input_):
    email, password = input_.get("email", ""), input_.get("password", "")
    cur.execute("SELECT u.id, u.password_digest FROM users u WHERE u.email = %s AND EXISTS (SELECT 1 FROM"
                " memberships m WHERE m.user_id = u.id AND m.status = 'active')", (email,))
    row = cur.fetchone()
    if row is None or "\0" in email + password or not db.password_matches(password, row[1]):
        return error("loginUser", "Unprocessable Entity", 422, "unprocessable_entity",
                     {"base": ["incorrect_login_or_password"]})
    return {"data": {"loginUser": {"token": encode_token(row[0]), "user": user_payload(cur, row[0])}}}


def register(cur, input_):
    if os.environ.get("LAGO_DISABLE_SIGNUP", "false") == "true":
        return error("registerUser", "Method Not Allowed", 405, "signup_disabled")
    email, password, name = input_.get("email", ""), input_.get("password", ""), input_.get("organizationName", "")
    cur.execute("SELECT 1 FROM users WHERE email = %s", (email,))
    if cur.fetchone():
        return error("registerUser", "Unprocessable Entity", 422, "unprocessable_entity",
                     {"email": ["user_already_exists"]})
    cur.execute("INSERT INTO users (email, password_digest) VALUES (%s, %s) RETURNING id",
                (email, db.password_digest(password)))
    user_id = cur.fetchone()[0]
    cur.execute("INSERT INTO organizations (name) VALUES (%s) RETURNING id", (name,))
    org_id = cur.fetchone()[0]
    cur.execute("INSERT INTO memberships (user_id, organization_id) VALUES (%s, %s)", (user_id, org_id))
    cur.execute("INSERT INTO api_keys (organization_id, value) VALUES (%s, gen_random_uuid()::text)", (org_id,))
    return {"data": {"registerUser": {"token": encode_token(user_id), "user": user_payload(cur, user_id)}}}


def organization_of(cur, user_id, headers):
    """The x-lago-organization the user is an active member of, or None."""
    org = headers.get("x-lago-organization") or ""
    if not re.fullmatch(r"[0-9a-f-]{36}", org):
        return None
    cur.execute("SELECT 1 FROM memberships WHERE user_id = %s AND organization_id = %s AND status = 'active'",
                (user_id, org))
    return org if cur.fetchone() else None


def obfuscated(value):
    return None if value is None else "•" * 8 + "…" + value[-3:]


def payment_providers(cur, org, field, input_):
    if field == "addStripePaymentProvider":
        secrets = json.dumps({"secret_key": input_.get("secretKey", "")})
        cur.execute("INSERT INTO payment_providers (organization_id, type, code, name, secrets) VALUES"
                    " (%s, 'PaymentProviders::StripeProvider', %s, %s, %s) RETURNING id",
                    (org, input_.get("code", ""), input_.get("name", ""), encryption.encrypt(secrets)))
        cur.execute("SELECT id, code, name, secrets FROM payment_providers WHERE id = %s", (cur.fetchone()[0],))
    else:
        cur.execute("SELECT id, code, name, secrets FROM payment_providers WHERE organization_id = %s"
                    " ORDER BY created_at", (org,))
    providers = [{"__typename": "StripeProvider", "id": str(i), "code": c, "name": n,
                  "secretKey": obfuscated(json.loads(encryption.decrypt(s)).get("secret_key"))}
                 for i, c, n, s in cur.fetchall()]
    if field == "addStripePaymentProvider":
        return {"data": {field: providers[0]}}
    return {"data": {field: {"collection": providers, "metadata": {"currentPage": 1, "totalCount": len(providers)}}}}


def execute(body, headers):
    """The JSON reply (always HTTP 200, as graphql-ruby answers)."""
    query, variables = body.get("query") or "", body.get("variables") or {}
    field = next((f for f in ("loginUser", "registerUser", "currentUser", "apiKeys", "apiKey",
                              "addStripePaymentProvider", "paymentProviders")
                  if re.search(rf"\b{f}\b", query)), None)
    if field is None:
        return {"errors": [{"message": "stand-in: this operation is not modelled"}]}
    conn = db.connect()
    try:
        with conn, conn.cursor() as cur:
            if field == "loginUser":
                return login(cur, variables.get("input") or {})
            if field == "registerUser":
                return register(cur, variables.get("input") or {})
            bearer = (headers.get("Authorization") or "").split(" ")[-1]
            user_id = decode_token(bearer) if bearer else None
            if user_id is None:
                return error(field, "unauthorized", 401, "unauthorized")
            if field == "currentUser":
                return {"data": {"currentUser": user_payload(cur, user_id)}}
            org = organization_of(cur, user_id, headers)
            if org is None:
                return error(field, "Forbidden", 403, "forbidden")
            if field in ("addStripePaymentProvider", "paymentProviders"):
                return payment_providers(cur, org, field, variables.get("input") or {})
            cur.execute("SELECT id, value, created_at FROM api_keys WHERE organization_id = %s ORDER BY created_at",
                        (org,))
            keys = [{"id": str(i), "value": v, "createdAt": c.isoformat()} for i, v, c in cur.fetchall()]
            if field == "apiKeys":
                masked = [{**k, "value": "••••••••" + k["value"][-3:]} for k in keys]
                return {"data": {"apiKeys": {"collection": masked,
                                             "metadata": {"currentPage": 1, "totalCount": len(keys)}}}}
            wanted = variables.get("id") or next(iter(re.findall(r'id:\s*"([^"]+)"', query)), "")
            key = next((k for k in keys if k["id"] == wanted), None)
            return {"data": {"apiKey": key}} if key else error(field, "Resource not found", 404, "not_found")
    finally:
        conn.close()
