"""What one HTTP/2 connection can make authd buffer (authd/http2_guard.h): request bodies in progress are
bounded per connection (limits.http2_bodies), streams beyond are refused with RST_STREAM(REFUSED_STREAM)
keeping the oldest, and a client that goes on opening more is sent GOAWAY(ENHANCE_YOUR_CALM). Spoken with
python3-h2 (hyper-h2), another HTTP/2 implementation, frame by frame."""
import json
import socket
import ssl
import urllib.request

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import pytest

from conftest import Authd, token, valid_numbers


@pytest.fixture
def server(tmp_path, request):
    bodies, tls = getattr(request, "param", (4, False))
    s = Authd(tmp_path, tls=tls)
    s.set_limits(http2_bodies=bodies)
    s.start()
    yield s
    assert s.stop() == 0


class Client:
    """One HTTP/2 connection (prior knowledge, cleartext) and what it has received."""

    def __init__(self, port, tls=False):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls:  # ALPN h2, as browsers and HTTP/2 libraries reach authd in production
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            context.set_alpn_protocols(["h2"])
            self.sock = context.wrap_socket(self.sock)
            assert self.sock.selected_alpn_protocol() == "h2"
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.h2.initiate_connection()
        self.flush()
        self.events, self.bodies, self.ended, self.pings = [], {}, set(), 0
        self.raw, self.goaway = b"", None
        self.until(lambda: any(isinstance(e, h2.events.RemoteSettingsChanged) for e in self.events))

    def flush(self):
        self.sock.sendall(self.h2.data_to_send())

    def scan(self, data):
        """GOAWAY read off the wire as well: h2 drops the frames that follow one in the same read (a
        PING ACK) with a ProtocolError, and with them its event."""
        self.raw += data
        while len(self.raw) >= 9 and len(self.raw) >= 9 + int.from_bytes(self.raw[:3], "big"):
            length, kind = int.from_bytes(self.raw[:3], "big"), self.raw[3]
            if kind == 7:
                payload = self.raw[9:9 + length]
                self.goaway = (int.from_bytes(payload[:4], "big") & 0x7FFFFFFF, int.from_bytes(payload[4:8], "big"))
            self.raw = self.raw[9 + length:]

    def until(self, done):
        while not done() and not self.goaway:
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError(f"connection closed; events: {self.events}")
            self.scan(data)
            try:
                events = self.h2.receive_data(data)
            except h2.exceptions.ProtocolError:
                if self.goaway:
                    return
                raise
            for e in events:
                self.events.append(e)
                if isinstance(e, h2.events.DataReceived):
                    self.bodies[e.stream_id] = self.bodies.get(e.stream_id, b"") + e.data
                    self.h2.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
                elif isinstance(e, h2.events.StreamEnded):
                    self.ended.add(e.stream_id)
            self.flush()

    def ping(self):
        """A PING, once its ACK is back: authd has read and handled everything sent before it. authd looks
        at its streams when it reads, before handling what it read: the second of two pings is the first
        read after the frames before the first one."""
        self.pings += 1
        opaque = self.pings.to_bytes(8, "big")
        self.h2.ping(opaque)
        self.flush()
        self.until(lambda: self.closed() or any(isinstance(e, h2.events.PingAckReceived) and e.ping_data == opaque
                                                for e in self.events))

    def closed(self):
        return self.goaway is not None

    def post(self, body, send, depends_on=None):
        """Opens a batch-check stream with the body's headers and its first `send` bytes (`depends_on`: the
        stream it depends on, RFC 9113 §5.3); the stream id."""
        sid = self.h2.get_next_available_stream_id()
        priority = {"priority_weight": 16, "priority_depends_on": depends_on} if depends_on else {}
        self.h2.send_headers(sid, [(":method", "POST"), (":scheme", "http"), (":authority", f"127.0.0.1:{self.port}"),
                                   (":path", "/v1/ident/check"), ("authorization", f"Bearer {token('admin')}"),
                                   ("content-type", "application/json"), ("content-length", str(len(body)))],
                             **priority)
        self.send(sid, body[:send])
        return sid

    def send(self, sid, data, end_stream=False):
        """DATA frames of at most the 16 KB authd allows."""
        for at in range(0, len(data), 16384):
            self.h2.send_data(sid, data[at:at + 16384], end_stream=end_stream and at + 16384 >= len(data))

    def resets(self):
        return {e.stream_id: e.error_code for e in self.events if isinstance(e, h2.events.StreamReset)}

    def answers(self):
        return {sid: json.loads(self.bodies[sid]) for sid in self.ended}


def metric(server, name):
    context = ssl._create_unverified_context() if server.scheme == "https" else None
    req = urllib.request.Request(server.url + "/metrics", headers={"authorization": f"Bearer {token('auditor')}"})
    with urllib.request.urlopen(req, timeout=10, context=context) as r:
        text = r.read().decode()
    return int(next(line for line in text.splitlines() if line.startswith(name + " ")).split()[1])


def body_of(n):
    return json.dumps({"numbers": valid_numbers(n)}).encode()


@pytest.mark.parametrize("server, chained", [((4, False), False), ((4, True), False), ((4, False), True)],
                         ids=["cleartext", "tls", "priority-chain"], indirect=["server"])
def test_bodies_beyond_the_limit_are_refused_and_the_oldest_served(server, chained):
    """Twelve streams send part of their bodies: once authd reads on, the eight newest are refused with
    REFUSED_STREAM (nothing processed: safe to retry), the four oldest complete and are answered. Also
    when each stream depends on the one before (authd finds streams through h2o's priority tree)."""
    c = Client(server.port, tls=server.scheme == "https")
    body = body_of(2000)
    sids = []
    for _ in range(12):
        sids.append(c.post(body, 1024, depends_on=sids[-1] if chained and sids else None))
    c.ping()
    assert not c.resets()
    c.ping()
    assert c.resets() == {sid: h2.errors.ErrorCodes.REFUSED_STREAM for sid in sids[4:]}
    for sid in sids[:4]:
        c.send(sid, body[1024:], end_stream=True)
    c.flush()
    c.until(lambda: len(c.answers()) == 4)
    answers = c.answers()
    assert sorted(answers) == sids[:4]
    assert all(a["count"] == 2000 and a["valid"] == 2000 for a in answers.values())
    assert metric(server, "authd_http2_streams_refused_total") == 8
    assert metric(server, "authd_http2_connections_calmed_total") == 0


def test_a_client_within_the_limit_is_never_refused(server):
    """Four bodies in progress at a time, the limit, sent interleaved: every one answered."""
    c = Client(server.port)
    body = body_of(500)
    for _ in range(3):
        sids = [c.post(body, 100) for _ in range(4)]
        c.flush()
        for at in range(100, len(body), 4000):
            for sid in sids:
                c.send(sid, body[at:at + 4000], end_stream=at + 4000 >= len(body))
            c.flush()
        c.until(lambda: all(sid in c.answers() for sid in sids))
    assert len(c.answers()) == 12 and not c.resets()
    assert metric(server, "authd_http2_streams_refused_total") == 0


@pytest.mark.parametrize("server", [(2, False)], indirect=True)
def test_a_client_that_goes_on_is_told_to_calm_down(server):
    """More streams refused than it may have open at once (100): GOAWAY(ENHANCE_YOUR_CALM) naming the
    last stream a handler received, then the connection closes; authd serves everyone else."""
    c = Client(server.port)
    body = body_of(100)
    done = c.post(body, len(body))  # one complete request first: processed and answered
    c.h2.end_stream(done)
    c.flush()
    c.until(lambda: done in c.answers())
    rounds = 0
    while not c.closed():
        [c.post(body, 10) for _ in range(10)]
        c.ping()
        c.ping()
        rounds += 1
    assert rounds == 11  # refused: 8, then 10 a round
    assert c.goaway == (done, h2.errors.ErrorCodes.ENHANCE_YOUR_CALM)
    assert 100 < metric(server, "authd_http2_streams_refused_total") <= 110
    c.sock.settimeout(5)
    while c.sock.recv(65536):  # authd closes its side
        pass
    assert metric(server, "authd_http2_connections_calmed_total") == 1
    assert server.request("GET", "/healthz", token=None)[0] == 200
