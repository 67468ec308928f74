"""Length-prefixed frames over a stream socket: what the ledger writer and its web workers
say to each other (``writer_process.py``).

Through the socket object's own methods: in a worker under gevent (its sockets made
cooperative by monkey-patching), waiting for a frame lets the worker's other requests run.
``multiprocessing.connection.Connection`` reads the file descriptor with ``os.read``, which
would stop the whole worker until the writer answered.
"""

from __future__ import annotations

import contextlib
import socket
import struct

_HEADER = struct.Struct("!I")
MAX_FRAME = 1 << 30  # no command or outcome comes near it: a larger header is a broken peer


class Frames:
    """``send`` a frame, ``receive`` the next (EOFError once the other end is gone)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def send(self, data: bytes) -> None:
        self.sock.sendall(_HEADER.pack(len(data)) + data)

    def receive(self) -> bytes:
        (size,) = _HEADER.unpack(self._exactly(_HEADER.size))
        if size > MAX_FRAME:
            raise EOFError(f"a frame of {size} bytes: the peer is not a ledger writer")
        return self._exactly(size)

    def shut(self) -> None:
        """Shut both directions: a thread waiting in ``receive`` wakes with EOFError."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.sock.close()

    def _exactly(self, size: int) -> bytes:
        buffer = bytearray(size)
        view, got = memoryview(buffer), 0
        while got < size:
            received = self.sock.recv_into(view[got:])
            if not received:
                raise EOFError("the other end closed the connection")
            got += received
        return bytes(buffer)
