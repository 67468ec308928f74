"""Zip archives (XLSX, ODS) opened without trusting them.

The directory is checked before anything is inflated: each member's declared size, their sum
and each member's compression ratio. Members are then inflated by our own loop rather than
``zipfile``'s reader, counting the bytes actually produced: a member producing more than it
declared is a bomb (declared sizes can lie), and it is stopped at that point.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from portevoix.contacts.files.errors import CORRUPT, ENCRYPTED, ZIP_BOMB, FileRejectedError
from portevoix.contacts.files.limits import MIB, Limits

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member first, or an empty archive
_CHUNK = 64 * 1024
# A member this small cannot hurt whatever its ratio, and tiny XML parts compress oddly well.
_RATIO_FLOOR = MIB
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then name and extra-field lengths


class ZipArchive:
    """An open zip whose directory passed the checks of ``limits``; use it in a ``with``."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self._file = path.open("rb")
        try:
            self._zip = zipfile.ZipFile(self._file)
            self._members = {info.filename: info for info in self._zip.infolist()}
            _check_directory(list(self._members.values()), limits)
        except FileRejectedError:
            self._file.close()
            raise
        except (zipfile.BadZipFile, EOFError, ValueError, struct.error) as error:
            self._file.close()
            raise FileRejectedError(
                CORRUPT, f"The file looks like a zip archive (XLSX, ODS) but is damaged: {error}."
            ) from error
        except BaseException:
            self._file.close()
            raise

    def __enter__(self) -> ZipArchive:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()
        self._file.close()

    def has(self, name: str) -> bool:
        return name in self._members

    def open(self, name: str) -> MemberStream:
        """A stream of the member's inflated bytes (``read(size)``, as lxml wants)."""
        info = self._members.get(name)
        if info is None:
            raise FileRejectedError(CORRUPT, f"The archive has no part named {name!r}.")
        return MemberStream(self._file, info)

    def read(self, name: str) -> bytes:
        """A whole (small) member; its size was bounded by the directory checks."""
        stream = self.open(name)
        parts = []
        while chunk := stream.read(_CHUNK):
            parts.append(chunk)
        return b"".join(parts)


def _check_directory(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    total = 0
    for info in members:
        if info.file_size > limits.max_uncompressed:
            raise _bomb(f"its part {info.filename!r} declares {info.file_size:,} bytes")
        total += info.file_size
        if total > limits.max_uncompressed:
            raise _bomb(f"its parts declare more than {total:,} bytes in all")
        ratio_bound = limits.max_ratio * max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and info.file_size > ratio_bound:
            ratio = info.file_size // max(info.compress_size, 1)
            raise _bomb(
                f"its part {info.filename!r} inflates {ratio:,} times (at most {limits.max_ratio})"
            )


def _bomb(why: str) -> FileRejectedError:
    return FileRejectedError(ZIP_BOMB, f"The file was refused as a zip bomb: {why}.")


class MemberStream:
    """One member's bytes, inflated chunk by chunk and counted against its declared size."""

    def __init__(self, file: BinaryIO, info: zipfile.ZipInfo) -> None:
        if info.flag_bits & 0x1:
            raise FileRejectedError(
                ENCRYPTED, "The file is password-protected; save it without a password and retry."
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileRejectedError(
                CORRUPT, f"The part {info.filename!r} uses an unsupported compression method."
            )
        self._file, self._info = file, info
        self._position = _data_offset(file, info)
        self._compressed_left = info.compress_size
        self._inflater = (
            zlib.decompressobj(-zlib.MAX_WBITS)
            if info.compress_type == zipfile.ZIP_DEFLATED else None
        )
        self._produced = 0
        self._crc = 0
        self._buffer = bytearray()
        self._done = False

    def read(self, size: int = -1) -> bytes:
        wanted = size if size >= 0 else self._info.file_size + 1
        while len(self._buffer) < wanted and not self._done:
            self._inflate_some()
        result = bytes(self._buffer[:wanted])
        del self._buffer[:wanted]
        return result

    def _inflate_some(self) -> None:
        tail = self._inflater.unconsumed_tail if self._inflater else b""
        data = tail or self._read_compressed()
        if self._inflater is None:
            chunk = data
        else:
            try:
                chunk = self._inflater.decompress(data, _CHUNK)
            except zlib.error as error:
                raise self._corrupt(f"cannot be inflated ({error})") from error
        self._produced += len(chunk)
        if self._produced > self._info.file_size:
            raise _bomb(
                f"its part {self._info.filename!r} inflates past the "
                f"{self._info.file_size:,} bytes it declares"
            )
        self._crc = zlib.crc32(chunk, self._crc)
        self._buffer += chunk
        ended = self._inflater.eof if self._inflater else self._compressed_left == 0
        if ended or (not chunk and not data):
            self._finish()

    def _read_compressed(self) -> bytes:
        if self._compressed_left == 0:
            return b""
        self._file.seek(self._position)
        data = self._file.read(min(_CHUNK, self._compressed_left))
        if not data:
            raise self._corrupt("is cut short")
        self._position += len(data)
        self._compressed_left -= len(data)
        return data

    def _finish(self) -> None:
        self._done = True
        if self._produced != self._info.file_size:
            raise self._corrupt(
                f"holds {self._produced:,} bytes where it declares {self._info.file_size:,}"
            )
        if self._crc != self._info.CRC:
            raise self._corrupt("fails its checksum")

    def _corrupt(self, why: str) -> FileRejectedError:
        return FileRejectedError(
            CORRUPT, f"The file is damaged: its part {self._info.filename!r} {why}."
        )


def _data_offset(file: BinaryIO, info: zipfile.ZipInfo) -> int:
    file.seek(info.header_offset)
    header = file.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise FileRejectedError(CORRUPT, f"The file is damaged: {info.filename!r} is missing.")
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise FileRejectedError(CORRUPT, f"The file is damaged: {info.filename!r} is misplaced.")
    return int(info.header_offset) + _LOCAL_HEADER.size + int(name_length) + int(extra_length)
