"""GET /cable: ActionCable over a websocket (config/routes.rb `mount ActionCable.server`), what the front
opens at API_URL/cable (lago-front src/core/apolloClient/websocketUrl.ts).

On connect, ActionCable subscribes the connection's internal channel (app/channels/application_cable/
connection.rb identifies connections) through its Redis adapter, configured by config/cable.yml from
LAGO_REDIS_CABLE_URL or REDIS_URL alone: REDIS_PASSWORD is not read there. The stand-in sends the
`welcome` message only once that Redis SUBSCRIBE succeeded, and closes the socket (1011) when it fails;
then it confirms channel subscriptions and pings every 3 s, as ActionCable does. Request forgery
protection is off upstream (config.action_cable.disable_request_forgery_protection), so no Origin check.
"""
import base64
import hashlib
import json
import socket
import struct
import time
import uuid

import redis

from . import redis_config
from .boot import log

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PROTOCOL = "actioncable-v1-json"


def send_frame(wfile, payload, opcode=0x1):
    header = bytes([0x80 | opcode])
    n = len(payload)
    header += bytes([n]) if n < 126 else (bytes([126]) + struct.pack("!H", n) if n < 65536 else
                                          bytes([127]) + struct.pack("!Q", n))
    wfile.write(header + payload)
    wfile.flush()


def read_frame(rfile):
    """(opcode, payload) of the next client frame (clients always mask); EOF gives opcode 0x8."""
    head = rfile.read(2)
    if len(head) < 2:
        return 0x8, b""
    opcode, n = head[0] & 0x0F, head[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", rfile.read(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", rfile.read(8))[0]
    mask = rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
    data = rfile.read(n)
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def handle(handler):
    """Serves the websocket on the request's connection until the client leaves."""
    key = handler.headers.get("Sec-WebSocket-Key")
    if (handler.headers.get("Upgrade") or "").lower() != "websocket" or not key:
        handler.reply(404, {"status": 404, "error": "Not Found"})  # ActionCable: not a websocket request
        return
    handler.protocol_version = "HTTP/1.1"  # the handshake's status line
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept", accept)
    if PROTOCOL in (handler.headers.get("Sec-WebSocket-Protocol") or ""):
        handler.send_header("Sec-WebSocket-Protocol", PROTOCOL)
    handler.end_headers()
    handler.close_connection = True
    rfile, wfile = handler.rfile, handler.wfile
    try:
        client = redis_config.cable_client()
        client.ping()  # a SUBSCRIBE refused for want of AUTH is only seen when its reply is read
        pubsub = client.pubsub()
        pubsub.subscribe(f"lago_production:action_cable/{uuid.uuid4()}")
    except (redis.RedisError, ValueError) as e:
        log(f"/cable: the Redis of config/cable.yml refused the subscription: {e}")
        send_frame(wfile, struct.pack("!H", 1011) + b"redis", opcode=0x8)
        return
    send_frame(wfile, json.dumps({"type": "welcome"}).encode())
    handler.connection.settimeout(3)
    try:
        while True:
            try:
                opcode, data = read_frame(rfile)
            except socket.timeout:
                send_frame(wfile, json.dumps({"type": "ping", "message": int(time.time())}).encode())
                continue
            if opcode == 0x8:
                send_frame(wfile, data[:2], opcode=0x8)
                return
            if opcode == 0x9:
                send_frame(wfile, data, opcode=0xA)
            elif opcode == 0x1:
                message = json.loads(data)
                if message.get("command") == "subscribe":
                    reply = {"identifier": message.get("identifier"), "type": "confirm_subscription"}
                    send_frame(wfile, json.dumps(reply).encode())
    except (OSError, ValueError):
        return
    finally:
        pubsub.close()
