"""Where a report is written: stdout, or ``-o FILE`` replaced atomically.

Both are text streams over pinlint's own byte writer, which writes every byte or raises: a short
write (a full disk under ``PYTHONUNBUFFERED=1``, where Python's own stdout would silently drop
the rest) is retried until the disk says why it cannot take more. Any failure ends the report
with ``ReportWriteError`` (one line, exit 2), except a closed pipe (``pinlint check | head``),
which stays a ``BrokenPipeError`` for the caller to end quietly. An ``-o`` report goes to a
temporary file beside FILE, renamed over it when complete and removed when not. Text that cannot
be encoded is written with ``backslashreplace``, as ``report.text.printable`` escapes findings.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

BUFFER_BYTES = 1 << 16


class ReportWriteError(Exception):
    """The report could not be written (a full disk, a closed file): one line, exit 2."""


class _ByteSink(io.RawIOBase):
    """Writes every byte to a file descriptor, or raises; after a failure, drops the rest, so
    that closing the streams above it does not fail a second time."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd
        self.failed = False

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer, /) -> int:
        view = memoryview(data).cast("B")
        size = len(view)
        if self.failed:
            return size
        try:
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError:
            self.failed = True
            raise
        return size


def _text_stream(fd: int) -> TextIO:
    buffered = io.BufferedWriter(_ByteSink(fd), buffer_size=BUFFER_BYTES)
    return io.TextIOWrapper(buffered, encoding="utf-8", errors="backslashreplace", newline="\n")


def _reason(error: OSError) -> str:
    return error.strerror or str(error) or type(error).__name__


@contextlib.contextmanager
def stdout_stream() -> Iterator[TextIO]:
    """A text stream on standard output, flushed at the end; a failed write is a ReportWriteError."""
    if sys.stdout is None:  # started with stdout closed
        raise ReportWriteError("cannot write the report to standard output: it is closed")
    try:
        sys.stdout.flush()
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # no file behind stdout (an in-process test): write to it
        yield sys.stdout
        sys.stdout.flush()  # as click.echo does: the caller may read it before the stream is closed
        return
    stream = _text_stream(fd)
    try:
        yield stream
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise ReportWriteError(f"cannot write the report to standard output: {_reason(error)}") from None
    finally:
        with contextlib.suppress(OSError):
            stream.close()  # the descriptor stays open: _ByteSink does not own it


@contextlib.contextmanager
def _special_file_stream(path: Path) -> Iterator[TextIO]:
    """A device, FIFO or socket is written as it is: replacing it would put a regular file in
    its place (``-o /dev/null`` as root would replace /dev/null)."""
    fd = os.open(path, os.O_WRONLY)
    stream = _text_stream(fd)
    try:
        yield stream
        stream.flush()
    finally:
        with contextlib.suppress(OSError):
            stream.close()
        os.close(fd)


@contextlib.contextmanager
def file_stream(path: Path) -> Iterator[TextIO]:
    """A text stream that replaces ``path`` when it is complete; nothing is left on failure."""
    from pinlint.atomic import AtomicFile

    target = Path(os.path.realpath(path))  # a symlinked report file: replace the file it points to
    try:
        try:
            like: os.stat_result | None = os.stat(path)
        except FileNotFoundError:
            like = None
        special = like is not None and not stat.S_ISREG(like.st_mode)  # -o /dev/null, /dev/stdout, a FIFO
        handle = None if special else AtomicFile(target, like)
    except OSError as error:
        raise ReportWriteError(f"cannot write {path}: {_reason(error)}") from None
    if handle is None:
        try:
            with _special_file_stream(path) as special_stream:
                yield special_stream
        except BrokenPipeError:
            raise
        except OSError as error:
            raise ReportWriteError(f"cannot write {path}: {_reason(error)}") from None
        return
    stream = _text_stream(handle.fd)
    try:
        yield stream
        stream.flush()
        handle.commit()
    except OSError as error:
        handle.abort()
        raise ReportWriteError(f"cannot write {path}: {_reason(error)}") from None
    except BaseException:
        handle.abort()
        raise
    finally:
        with contextlib.suppress(OSError):
            stream.close()
