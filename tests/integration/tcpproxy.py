"""A TCP proxy on a free loopback port that a test can cut and restore, to cut a PetaCore
node off from etcd without touching either process.

    proxy = TcpProxy(["127.0.0.1:2379", ...])   # listens on proxy.endpoint
    proxy.cut()       # closes every connection and refuses (accept + close) new ones
    proxy.restore()   # new connections are forwarded again
    proxy.freeze()    # keep connections open but hold everything etcd sends (a stalled link)
    proxy.thaw()      # deliver what was held and forward again

Each accepted connection goes to the next target in turn (round robin), falling through to
the others when one refuses. Threads: one acceptor, two pumps per connection.
"""
import itertools
import socket
import threading


class TcpProxy:
    def __init__(self, targets):
        self.targets = [self._addr(t) for t in targets]
        self._next = itertools.count()
        self._lock = threading.Lock()
        self._conns = set()  # open sockets, both sides
        self._cut = False
        self._closed = False
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self.refused = 0
        self.bytes_down = 0  # bytes forwarded from the targets to the clients
        self._thawed = threading.Event()
        self._thawed.set()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @staticmethod
    def _addr(target):
        host, port = target.rsplit(":", 1)
        return host, int(port)

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    def cut(self):
        """Closes every proxied connection and refuses new ones until restore()."""
        with self._lock:
            self._cut = True
            conns = list(self._conns)
            self._conns.clear()
        for s in conns:
            self._close(s)

    def restore(self):
        with self._lock:
            self._cut = False

    def freeze(self):
        """Stops forwarding what the targets send (requests still go up): to the client, the
        link is alive but silent, as with a stalled member."""
        self._thawed.clear()

    def thaw(self):
        self._thawed.set()

    def close(self):
        self._closed = True
        self.cut()
        try:
            self.listener.close()
        except OSError:
            pass

    @staticmethod
    def _close(s):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            s.close()
        except OSError:
            pass

    def _connect_upstream(self):
        start = next(self._next)
        for i in range(len(self.targets)):
            target = self.targets[(start + i) % len(self.targets)]
            try:
                return socket.create_connection(target, timeout=2)
            except OSError:
                continue
        return None

    def _accept_loop(self):
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                cut = self._cut
            if cut:
                self.refused += 1
                self._close(client)
                continue
            upstream = self._connect_upstream()
            if upstream is None:
                self._close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._cut:  # cut while connecting
                    self._close(client)
                    self._close(upstream)
                    continue
                self._conns.update((client, upstream))
                self.accepted += 1
            for a, b, down in ((client, upstream, False), (upstream, client, True)):
                threading.Thread(target=self._pump, args=(a, b, down), daemon=True).start()

    def _pump(self, src, dst, down):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if down:
                    while not self._thawed.wait(0.1):
                        if self._closed:
                            return
                    self.bytes_down += len(data)
                dst.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._conns.discard(src)
            self._conns.discard(dst)
        self._close(src)
        self._close(dst)
