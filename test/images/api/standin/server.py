"""HTTP listeners as the image has them: `rails s -b ::` (IPv6 and IPv4 on one socket; IPv4 only where the
container has no IPv6) for the api, and the workers' liveness port."""
import socket
from http.server import ThreadingHTTPServer


class DualStackServer(ThreadingHTTPServer):
    daemon_threads = True
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def serve(handler, port):
    try:
        return DualStackServer(("::", port), handler)
    except OSError:
        server = ThreadingHTTPServer(("0.0.0.0", port), handler)
        server.daemon_threads = True
        return server
