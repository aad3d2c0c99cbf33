"""Every file pinlint reads goes through here: sources, configuration files, ``.gitignore`` files,
handler declarations and the result cache.

Only regular files are read. A FIFO, socket or device (named on the command line, found in a
tree, or behind a symlink) is refused before it is opened for reading, so it can neither block
the run nor feed it an endless stream. The size is checked again on the open file (``fstat``)
and the read itself is bounded, so a file that grows, or is swapped for a device between the
check and the open, cannot exhaust memory either. Each refusal is an :class:`UnreadableFile`
whose text says in a few words what the path is (``a FIFO (named pipe), not a regular file``,
``a symlink loop``, ``permission denied``); the caller prints it with the path and goes on.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from typing import Union

PathLike = Union[str, "os.PathLike[str]"]

MAX_SOURCE_BYTES = 20 * 1024 * 1024  # a .py/.sql file, or a declaration file, larger than this is skipped
MAX_CONFIG_BYTES = 10 * 1024 * 1024  # pyproject.toml, pinlint.toml, .gitignore
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
# Byte-order marks of the encodings neither Python nor psql reads source in (UTF-32 first: its
# little-endian mark starts with UTF-16's)
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


class UnreadableFile(Exception):
    """A path pinlint does not read; ``str()`` says why, without the path."""


def size_text(limit: int) -> str:
    megabytes, rest = divmod(limit, 1024 * 1024)
    return f"{megabytes} MB" if megabytes and not rest else f"{limit} bytes"


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _symlink_note(path: PathLike) -> str:
    try:
        return f" (a symlink to `{os.readlink(path)}`)" if os.path.islink(path) else ""
    except OSError:
        return ""


def _os_reason(path: PathLike, error: OSError) -> str:
    """Why ``stat`` or ``open`` failed, saying what the path is."""
    if error.errno == errno.ENOENT and os.path.islink(path):
        return f"a dangling symlink{_symlink_note(path).replace(' (a symlink to ', ' (to ', 1)}"
    if error.errno == errno.ELOOP:
        return "a symlink loop"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if error.errno == errno.EISDIR:
        return "a directory"
    if error.errno in (errno.ENOENT, errno.ENOTDIR):
        return "does not exist"
    return f"cannot read ({error.strerror or error})"


def not_regular(path: PathLike, mode: int) -> str:
    """What a path whose ``st_mode`` is ``mode`` is, when it is not a regular file ('' when it is)."""
    if stat.S_ISREG(mode):
        return ""
    kind = _kind(mode)
    return f"{kind}, not a regular file{_symlink_note(path)}" if kind != "not a regular file" else kind


def inspect(path: PathLike) -> os.stat_result | str:
    """The status of what ``path`` names (through symlinks), or why it has none."""
    try:
        return os.stat(path)
    except OSError as error:
        return _os_reason(path, error)
    except ValueError:  # an embedded NUL byte
        return "not a valid path"


def problem(path: PathLike) -> str:
    """Why ``path`` cannot be read as a regular file, or '' when it can (checked without opening it)."""
    status = inspect(path)
    return status if isinstance(status, str) else not_regular(path, status.st_mode)


def read_bytes(path: PathLike, limit: int = MAX_SOURCE_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; else UnreadableFile."""
    reason = problem(path)
    if reason:
        raise UnreadableFile(reason)
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise UnreadableFile(_os_reason(path, error)) from None
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(descriptor)
        reason = not_regular(path, status.st_mode)  # swapped for something else since the check
        if reason:
            raise UnreadableFile(reason)
        if status.st_size > limit:
            raise UnreadableFile(f"larger than {size_text(limit)}")
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise UnreadableFile(_os_reason(path, error)) from None
    if len(data) > limit:
        raise UnreadableFile(f"larger than {size_text(limit)}")
    return data


def read_text(path: PathLike, limit: int = MAX_CONFIG_BYTES) -> str:
    """The UTF-8 text of the regular file ``path`` (a BOM is dropped); else UnreadableFile."""
    data = read_bytes(path, limit)
    encoding = wide_encoding(data)
    if encoding:
        raise UnreadableFile(encoding)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(f"not valid UTF-8 (byte {error.start + 1})") from None


def wide_encoding(data: bytes) -> str:
    """'encoded in UTF-16 ...' when ``data`` starts with a UTF-16 or UTF-32 byte-order mark: text
    that neither Python nor psql reads as source; '' otherwise."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return f"encoded in {name} (byte-order mark), not UTF-8"
    return ""
