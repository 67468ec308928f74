"""Frames over a socket pair: sizes kept, a frame split across reads put back together, the
end of the other side and a header no writer would send both read as EOFError."""

from __future__ import annotations

import socket
import struct
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portevoix.ledger.frames import MAX_FRAME, Frames


@given(st.lists(st.binary(max_size=5000), max_size=8))
def test_frames_arrive_whole_and_in_order(payloads: list[bytes]) -> None:
    left, right = socket.socketpair()
    with left, right:
        sender, receiver = Frames(left), Frames(right)
        for payload in payloads:
            sender.send(payload)
        assert [receiver.receive() for _ in payloads] == payloads


def test_a_frame_larger_than_the_socket_buffer_is_read_across_many_receives() -> None:
    left, right = socket.socketpair()
    payload = bytes(range(256)) * 8192  # 2 MiB
    with left, right:
        thread = threading.Thread(target=Frames(left).send, args=(payload,))
        thread.start()
        received = Frames(right).receive()
        thread.join(timeout=10)
    assert received == payload


def test_the_other_end_closing_mid_frame_or_between_frames_is_eof() -> None:
    left, right = socket.socketpair()
    with right:
        left.sendall(struct.pack("!I", 10) + b"abc")
        left.close()
        with pytest.raises(EOFError):
            Frames(right).receive()
    left, right = socket.socketpair()
    with right:
        left.close()
        with pytest.raises(EOFError):
            Frames(right).receive()


def test_a_header_beyond_the_largest_frame_is_refused_without_reading_on() -> None:
    left, right = socket.socketpair()
    with left, right:
        left.sendall(struct.pack("!I", MAX_FRAME + 1))
        with pytest.raises(EOFError, match="not a ledger writer"):
            Frames(right).receive()


def test_shut_wakes_a_reader_waiting_for_a_frame() -> None:
    left, right = socket.socketpair()
    frames, woke = Frames(right), []

    def read() -> None:
        try:
            frames.receive()
        except EOFError:
            woke.append(True)

    with left, right:
        thread = threading.Thread(target=read)
        thread.start()
        frames.shut()
        thread.join(timeout=5)
    assert woke == [True]
