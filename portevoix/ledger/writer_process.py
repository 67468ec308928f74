"""The ledger writer in a process of its own, shared by the web workers of a machine.

A web worker's group commits (``LedgerWriter``) run on a thread that shares the worker's GIL
with every request thread. Each round trip it makes to the store while it holds the fence
waits for the GIL again, behind requests busy parsing and quoting: measured under load, a
batch of two sends held the fence 10 ms. And workers with a writer each take turns on the
fence, each reading back the accounts the others changed. One writer process for all the
workers of a machine has a core's share to itself, never reads back its own changes, and
gathers every worker's sends into the same group commits.

:class:`WriterProcess` is a worker's side. It connects to the writer of its store, a Unix
socket in Linux's abstract namespace named after the database URL, and starts
``python -m portevoix.ledger.writer_process`` when nobody listens there (under a file
lock, so that workers starting together start one). A command (a picklable function of a
:class:`~portevoix.ledger.work.Work`) is sent over, run in the writer's next group commit,
and its outcome, or its :class:`LedgerError`, comes back. The writer builds its own
:class:`Ledger` on the same store and fence, so it takes turns with every other writer (the
dispatcher, the CLI); it ends once no worker has been connected for ``idle_exit_s``.

A worker whose writer went away hears :class:`WriterStoppedError` (in flight or not) and
tries to connect again, starting a writer if need be, at most once a second.

What crosses the socket is pickled, so each side talks only to a process of its own user
(the peer's credentials, ``SO_PEERCRED``): an abstract socket has no file permissions, and
another local user could otherwise serve, or send, what unpickling would run.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import itertools
import os
import pickle
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from portevoix.ledger.errors import LedgerError
from portevoix.ledger.frames import Frames
from portevoix.ledger.work import Work
from portevoix.ledger.writer import LedgerWriter, WriterStoppedError

T = TypeVar("T")
START_TIMEOUT_S = 60.0
IDLE_EXIT_S = 10.0
RECONNECT_EVERY_S = 1.0
_URL_VARIABLE = "PORTEVOIX_WRITER_DATABASE_URL"  # the writer's store, given in its environment


class WriterFailedError(LedgerError):
    """The writer's process could not record the batch (its store failed)."""


def writer_name(database_url: str) -> str:
    """What names the writer of this store: its socket, its start lock."""
    return "portevoix-ledger-writer-" + hashlib.sha256(database_url.encode()).hexdigest()[:24]


class WriterProcess:
    """``start`` (connect, starting the writer if need be), ``run`` commands, ``stop``."""

    def __init__(self, database_url: str, cache_size: int,
                 idle_exit_s: float | None = None) -> None:
        self.database_url, self.cache_size = database_url, cache_size
        self.idle_exit_s = IDLE_EXIT_S if idle_exit_s is None else idle_exit_s
        self.name = writer_name(database_url)
        self.started: subprocess.Popen[bytes] | None = None  # the writer, if this one started it
        self._conn: Frames | None = None
        self._send_lock = threading.Lock()
        self._connect_lock = threading.Lock()
        self._pending: dict[int, Future[Any]] = {}
        self._pending_lock = threading.Lock()
        self._ids = itertools.count()
        self._stopped = False
        self._last_attempt = 0.0

    @property
    def running(self) -> bool:
        return not self._stopped

    def start(self) -> WriterProcess:
        with self._connect_lock:
            self._connect()
        return self

    def run(self, command: Callable[[Work], T], timeout_s: float = 30.0) -> T:
        """Run ``command`` in the writer's next group commit and wait for its outcome."""
        conn = self._connection()
        future: Future[T] = Future()
        request_id = next(self._ids)
        with self._pending_lock:
            self._pending[request_id] = future
        frame = pickle.dumps((request_id, command), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            with self._send_lock:
                conn.send(frame)
        except OSError as error:
            self._lost(conn, WriterStoppedError(f"the ledger writer went away: {error}"))
        try:
            return future.result(timeout=timeout_s)
        finally:
            with self._pending_lock:
                self._pending.pop(request_id, None)  # answered, or given up on

    def stop(self) -> None:
        """Disconnect; the writer ends once no worker is left (``idle_exit_s``)."""
        self._stopped = True
        with self._connect_lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            self._lost(conn, WriterStoppedError("disconnected from the ledger writer"))

    # Connecting -------------------------------------------------------------------------

    def _connection(self) -> Frames:
        conn = self._conn
        if conn is not None:
            return conn
        if self._stopped:
            raise WriterStoppedError("disconnected from the ledger writer")
        with self._connect_lock:
            if self._conn is None:
                if time.monotonic() - self._last_attempt < RECONNECT_EVERY_S:
                    raise WriterStoppedError("the ledger writer went away")
                self._connect()
            assert self._conn is not None
            return self._conn

    def _connect(self) -> None:
        self._last_attempt = time.monotonic()
        sock = self._dial()
        if sock is None:
            lock_path = Path(tempfile.gettempdir()) / f"{self.name}.lock"
            with open(lock_path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # workers starting together start one
                sock = self._dial() or self._start_writer()
        sock.settimeout(None)
        conn = Frames(sock)
        self._conn = conn
        threading.Thread(target=self._read, args=(conn,), name="ledger-writer-replies",
                         daemon=True).start()

    def _dial(self) -> socket.socket | None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect("\0" + self.name)
        except OSError:
            sock.close()
            return None
        if not same_user(sock):
            sock.close()
            raise WriterStoppedError(f"another user's process listens as {self.name}")
        return sock

    def _start_writer(self) -> socket.socket:
        process = subprocess.Popen(  # the URL in the environment: it may hold a password
            [sys.executable, "-m", "portevoix.ledger.writer_process", str(self.cache_size),
             str(self.idle_exit_s)], env=os.environ | {_URL_VARIABLE: self.database_url},
            stdin=subprocess.DEVNULL, start_new_session=True)  # outlives this worker
        self.started = process
        threading.Thread(target=process.wait, name="ledger-writer-reaper", daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            sock = self._dial()
            if sock is not None:
                return sock
            if process.poll() is not None:
                break
            time.sleep(0.02)
        raise WriterStoppedError(f"the ledger writer did not start (exit code {process.poll()})")

    # Replies ----------------------------------------------------------------------------

    def _read(self, conn: Frames) -> None:
        try:
            while True:
                request_id, ok, outcome = pickle.loads(conn.receive())
                with self._pending_lock:
                    future = self._pending.pop(request_id, None)
                if future is not None:
                    if ok:
                        future.set_result(outcome)
                    else:
                        future.set_exception(outcome)
        except (EOFError, OSError):
            self._lost(conn, WriterStoppedError("the ledger writer went away"))

    def _lost(self, conn: Frames, error: WriterStoppedError) -> None:
        """Forget ``conn`` (shut down, so that its reply thread wakes) and fail whatever
        waits for an answer on it."""
        with self._connect_lock:
            if self._conn is conn:
                self._conn = None
        conn.shut()
        with self._pending_lock:
            pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)


# The writer's side ---------------------------------------------------------------------

def serve(database_url: str, cache_size: int, idle_exit_s: float) -> None:
    """Listen for workers and run what they send in group commits, until none has been
    connected for ``idle_exit_s``. Another writer already serving the store: return."""
    from portevoix.ledger.services import Ledger
    from portevoix.storage import Storage

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind("\0" + writer_name(database_url))
    except OSError:
        listener.close()
        return
    listener.listen(256)
    storage = Storage(database_url)
    with storage.schema_lock():  # other processes may be creating their tables
        ledger = Ledger(env=storage.event_store_env("ledger", cache_size),
                        fence=storage.ledger_fence())
    writer = LedgerWriter(ledger).start()
    clients = _Clients()
    listener.settimeout(min(0.5, idle_exit_s))
    try:
        while not clients.idle_for(idle_exit_s):
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            if not same_user(sock):
                sock.close()
                continue
            sock.settimeout(None)
            threading.Thread(target=_serve_client, args=(Frames(sock), writer,
                                                         clients),
                             name="ledger-writer-client", daemon=True).start()
    finally:
        listener.close()
        writer.stop()
        ledger.close()


def same_user(sock: socket.socket) -> bool:
    """Whether the process at the other end of ``sock`` runs as this one's user."""
    credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", credentials)
    return bool(uid == os.getuid())


class _Clients:
    """How many workers are connected, and since when none is."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count, self.idle_since = 0, time.monotonic()

    def add(self, change: int) -> None:
        with self._lock:
            self.count += change
            if not self.count:
                self.idle_since = time.monotonic()

    def idle_for(self, seconds: float) -> bool:
        with self._lock:
            return not self.count and time.monotonic() - self.idle_since >= seconds


def _serve_client(conn: Frames, writer: LedgerWriter, clients: _Clients) -> None:
    send_lock = threading.Lock()
    clients.add(1)
    try:
        while True:
            try:
                request_id, command = pickle.loads(conn.receive())
            except (EOFError, OSError):
                return
            writer.submit(command).add_done_callback(
                functools.partial(_answer, conn, send_lock, request_id))
    finally:
        clients.add(-1)
        conn.close()


def _answer(conn: Frames, send_lock: threading.Lock, request_id: int,
            future: Future[Any]) -> None:
    error = future.exception()
    if error is not None and not isinstance(error, LedgerError):
        error = WriterFailedError(f"{type(error).__name__}: {error}")
    reply = (request_id, True, future.result()) if error is None else (
        request_id, False, error)
    try:
        frame = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as unpicklable:  # the worker must hear of it
        frame = pickle.dumps((request_id, False, WriterFailedError(
            f"the outcome could not be sent back: {unpicklable}")))
    with send_lock, contextlib.suppress(OSError):  # the worker is gone: nobody to answer
        conn.send(frame)


if __name__ == "__main__":
    serve(os.environ[_URL_VARIABLE], int(sys.argv[1]), float(sys.argv[2]))
