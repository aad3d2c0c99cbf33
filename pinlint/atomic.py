"""Replacing a file so that nobody ever sees half of it.

The new content goes to a temporary file in the target's own directory (so the rename cannot
cross file systems), which takes the old file's mode and owner and is then renamed over the
target. On any failure (a full disk, a directory that cannot be written) the temporary file is
removed and the target is left as it was. Used for ``-o FILE`` reports and ``--add-noqa`` edits.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class OwnerError(PermissionError):
    """The new file cannot be given the old one's owner and group (only root may give a file
    away, and a group one is not in); the target is left as it was."""

    def __init__(self, uid: int, gid: int) -> None:
        super().__init__(f"cannot keep its owner and group (uid {uid}, gid {gid}) in a new file")


def _default_mode() -> int:
    """The mode a new file gets from ``open()`` under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class AtomicFile:
    """A temporary file beside ``path``, written through ``write`` and renamed over ``path`` by
    ``commit``; ``abort`` (or a failed commit) removes it. ``like`` is the stat of the file being
    replaced: its mode and owner are kept (a different owner needs the right to chown)."""

    def __init__(self, path: Path, like: os.stat_result | None = None) -> None:
        import tempfile  # here: a run that writes no file does not pay for its import

        self.path = path
        self.like = like
        self.fd, self.temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self.closed = False

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def commit(self) -> None:
        try:
            like = self.like
            if like is not None and (like.st_uid, like.st_gid) != (os.geteuid(), os.getegid()):
                try:  # before the mode: chown clears the set-id bits
                    os.fchown(self.fd, like.st_uid, like.st_gid)
                except PermissionError:
                    raise OwnerError(like.st_uid, like.st_gid) from None
            os.fchmod(self.fd, like.st_mode & 0o7777 if like is not None else _default_mode())
            self.closed = True
            os.close(self.fd)  # a delayed write error (NFS, quota) shows here
            os.replace(self.temp, self.path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                os.close(self.fd)
        with contextlib.suppress(OSError):
            os.unlink(self.temp)


def replace_file(path: Path, data: bytes, like: os.stat_result | None = None) -> None:
    """Replace ``path`` with ``data`` atomically (see ``AtomicFile``); raises OSError, leaving
    ``path`` as it was and no temporary file behind."""
    handle = AtomicFile(path, like)
    try:
        handle.write(data)
    except BaseException:
        handle.abort()
        raise
    handle.commit()
