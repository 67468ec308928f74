"""The ledger writer in a process of its own, beside a busy web worker.

A web worker's group commits (``LedgerWriter``) run on a thread that shares the worker's GIL
with every request thread. Each round trip it makes to the store while it holds the fence
waits for the GIL again, behind requests busy parsing and quoting: measured under load, a
batch of two sends held the fence 10 ms, and two workers mostly waited for each other. In a
process of its own the writer has a core's share to itself, holds the fence for the time of
its round trips, and the workers' requests run beside it.

:class:`WriterProcess` starts ``python -m portevoix.ledger.writer_process`` on one end of a
socket pair and offers the writer's ``run``: a command (a picklable function of a
:class:`~portevoix.ledger.work.Work`) is sent over, run in the next group commit there, and
its outcome, or its :class:`LedgerError`, comes back. The process builds its own
:class:`Ledger` on the same store and fence, so it takes turns with every other writer as
the worker's own would; it ends when the worker closes its end (or dies).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from portevoix.ledger.errors import LedgerError
from portevoix.ledger.work import Work
from portevoix.ledger.writer import LedgerWriter, WriterStoppedError

T = TypeVar("T")
READY = b"ready"
START_TIMEOUT_S = 60.0


class WriterFailedError(LedgerError):
    """The writer's process could not record the batch (its store failed)."""


class WriterProcess:
    """``start`` the process, ``run`` commands in it, ``stop`` it."""

    def __init__(self, database_url: str, cache_size: int) -> None:
        self.database_url, self.cache_size = database_url, cache_size
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._send_lock = threading.Lock()
        self._pending: dict[int, Future[Any]] = {}
        self._pending_lock = threading.Lock()
        self._ids = itertools.count()
        self._reader: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def running(self) -> bool:
        return self._conn is not None and not self._stopped.is_set()

    def start(self) -> WriterProcess:
        mine, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "portevoix.ledger.writer_process", str(theirs.fileno()),
                 self.database_url, str(self.cache_size)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self._conn = Connection(mine.detach())
        if not self._conn.poll(START_TIMEOUT_S) or self._conn.recv_bytes() != READY:
            self.stop()
            raise WriterStoppedError("the ledger writer's process did not start")
        self._reader = threading.Thread(target=self._read, name="ledger-writer-replies",
                                        daemon=True)
        self._reader.start()
        return self

    def run(self, command: Callable[[Work], T], timeout_s: float = 30.0) -> T:
        """Run ``command`` in the process's next group commit and wait for its outcome."""
        future: Future[T] = Future()
        conn = self._conn
        if conn is None or self._stopped.is_set():
            raise WriterStoppedError("the ledger writer's process is stopped")
        request_id = next(self._ids)
        with self._pending_lock:
            self._pending[request_id] = future
        frame = pickle.dumps((request_id, command), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            with self._send_lock:
                conn.send_bytes(frame)
        except OSError as error:
            self._fail_all(WriterStoppedError(f"the ledger writer's process is gone: {error}"))
        return future.result(timeout=timeout_s)

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stopped.set()
        conn, self._conn = self._conn, None
        if conn is not None:
            # Shut down, not only closed: the reply thread blocked reading the socket would
            # keep it open. The process finishes what it has, then ends.
            with socket.socket(fileno=os.dup(conn.fileno())) as end, \
                    contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            conn.close()
        if self._process is not None:
            try:
                self._process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._reader is not None:
            self._reader.join(timeout=timeout_s)
        self._fail_all(WriterStoppedError("the ledger writer's process is stopped"))

    def _read(self) -> None:
        conn = self._conn
        assert conn is not None
        try:
            while True:
                request_id, ok, outcome = pickle.loads(conn.recv_bytes())
                with self._pending_lock:
                    future = self._pending.pop(request_id, None)
                if future is None:
                    continue
                if ok:
                    future.set_result(outcome)
                else:
                    future.set_exception(outcome)
        except (EOFError, OSError):
            self._stopped.set()
            self._fail_all(WriterStoppedError("the ledger writer's process ended"))

    def _fail_all(self, error: Exception) -> None:
        with self._pending_lock:
            pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)


def serve(conn: Connection, database_url: str, cache_size: int) -> None:
    """The process's side: group commits of what arrives on ``conn``, until it closes."""
    from portevoix.ledger.services import Ledger
    from portevoix.storage import Storage

    storage = Storage(database_url)
    with storage.schema_lock():  # other processes may be creating their tables
        ledger = Ledger(env=storage.event_store_env("ledger", cache_size),
                        fence=storage.ledger_fence())
    writer = LedgerWriter(ledger).start()
    send_lock = threading.Lock()

    def answer(request_id: int, future: Future[Any]) -> None:
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
        with send_lock, contextlib.suppress(OSError):  # the worker is gone
            conn.send_bytes(frame)

    conn.send_bytes(READY)
    try:
        while True:
            try:
                request_id, command = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):
                break
            writer.submit(command).add_done_callback(functools.partial(answer, request_id))
    finally:
        writer.stop()
        ledger.close()
        conn.close()


if __name__ == "__main__":
    serve(Connection(socket.socket(fileno=int(sys.argv[1])).detach()), sys.argv[2],
          int(sys.argv[3]))
