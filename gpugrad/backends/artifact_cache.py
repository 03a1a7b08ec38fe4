"""Compiled artifacts cached on disk, loaded only from where this user alone can write.

Layout: the cache root (``$GPUGRAD_CACHE``, else ``$HOME/.cache/gpugrad``), one folder
per kind (``cuda_sim``, ...), and in it one folder per artifact key: the artifact's files
and a ``MANIFEST`` of their sizes and SHA-256 hashes, written by the process that built
them. ``ArtifactCache(kind).build(key, producer)`` returns that folder, built first by
``producer`` when it is missing or damaged.

Trust: the root and the kind's folder are opened once per process and checked on the
descriptor: directories owned by this user that no group or other user may write. Later
paths go through that descriptor (``/proc/self/fd/N/<key>/...``, for dlopen and for g++,
which inherits it), so renaming a parent folder cannot redirect them. An artifact's folder
and files are opened without following symbolic links and checked the same way, then
against the manifest (size, then hash): a truncated, flipped, empty, foreign, linked or
missing file is rebuilt, with one warning saying so, and never loaded.

Building happens in a fresh private folder (``mkdir`` of a random name in the kind's
folder), the manifest created with ``O_EXCL|O_NOFOLLOW``; the folder is then renamed into
place in one step. A builder that loses a race to another one uses the winner's.

Unusable places degrade: a root that is not this user's alone, that cannot be created or
written (read-only, a full disk), no usable ``HOME``: one warning naming the folder and
why, then a private folder from ``mkdtemp`` for the rest of the process (removed at exit).
"""
import atexit
import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
import stat
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import CacheWarning

MANIFEST = "MANIFEST"
_UNUSABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC


class Unusable(Exception):
    """A cache folder that must not (or cannot) be used; the message says why."""


@dataclass(frozen=True)
class Folder:
    """An opened, checked directory: ``fd``; ``path`` names it in messages; ``via`` reaches it
    through the descriptor (for this process and children that inherit ``fd``)."""
    fd: int
    path: Path
    via: Path
    private: bool = False


@dataclass(frozen=True)
class Workspace:
    """Where a producer writes: ``path``, an empty private folder reached through the cache's
    descriptor (pass ``fds`` to ``subprocess`` so that children reach it, and the cache's other
    artifacts, too). If the producer fails, the folder is kept as ``failed`` for its error."""
    path: Path
    fds: tuple
    folder: Folder
    failed: Path

    def shown(self, text):
        """``text`` (a compiler's log, an error) with the paths as the user will find them."""
        return text.replace(str(self.path), str(self.failed)).replace(str(self.folder.via), str(self.folder.path))


def _me():
    return os.geteuid()


def untrusted(st, what):
    """Why the file or folder whose ``os.fstat`` is ``st`` is not this user's alone ("" if it is)."""
    if st.st_uid != _me():
        return f"{what} is owned by uid {st.st_uid}, not by this user (uid {_me()})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{what} is writable by {'others' if st.st_mode & stat.S_IWOTH else 'its group'} " \
               f"(mode {stat.filemode(st.st_mode)})"
    return ""


def configured_root():
    """``$GPUGRAD_CACHE``, else ``$HOME/.cache/gpugrad``."""
    configured = os.environ.get("GPUGRAD_CACHE")
    if configured:
        return Path(configured)
    home = os.environ.get("HOME")
    if not home or not os.path.isabs(home):
        raise Unusable("HOME is not set" if home is None else f"HOME is {home!r}, not an absolute path")
    return Path(home) / ".cache" / "gpugrad"


def _open_checked(path, name=None, parent=None, private=False):
    """Open directory ``path`` (or ``name`` inside the Folder ``parent``, created if missing and
    never through a link) and check it; raises Unusable."""
    path = Path(path) if parent is None else parent.path / name
    try:
        if parent is None:
            os.makedirs(path, mode=0o700, exist_ok=True)
            fd = os.open(path, _OPEN_DIR)
        else:
            try:
                os.mkdir(name, 0o700, dir_fd=parent.fd)
            except FileExistsError:
                pass
            fd = os.open(name, _OPEN_DIR | os.O_NOFOLLOW, dir_fd=parent.fd)
    except OSError as exc:
        raise Unusable(_not_opened(str(path), parent.fd, name, exc) if parent else
                       f"{path} cannot be opened ({exc.strerror})") from None
    why = untrusted(os.fstat(fd), str(path))
    if why:
        os.close(fd)
        raise Unusable(why)
    via = Path(f"/proc/self/fd/{fd}")
    return Folder(fd, path, via if via.is_dir() else path, private)


def _private_root():
    path = tempfile.mkdtemp(prefix="gpugrad-cache-")
    atexit.register(shutil.rmtree, path, True)
    return _open_checked(path, private=True)


class ArtifactCache:
    """The cache of one kind of artifact (``kind`` names its folder)."""

    _warned = set()
    _lock = threading.RLock()

    def __init__(self, kind):
        self.kind = kind
        self._folders = {}  # the configured root (or why there is none) -> its checked Folder
        self._found = {}    # (Folder, key) -> the checked artifact folder, for this process

    def folder(self):
        """The kind's folder under the configured root, opened and checked once per process
        (or a private one, with a warning)."""
        try:
            root = configured_root()
            where = str(root)
        except Unusable as exc:
            root, where = None, str(exc)
        with self._lock:
            if where not in self._folders:
                try:
                    if root is None:
                        raise Unusable(where)
                    self._folders[where] = _open_checked(None, self.kind, _open_checked(root))
                except Unusable as exc:
                    self._folders[where] = self._fall_back(str(exc))
            return self._folders[where]

    def _fall_back(self, why):
        folder = _open_checked(None, self.kind, _private_root())
        if why not in self._warned:
            self._warned.add(why)
            warnings.warn(f"gpugrad: not caching compiled code there: {why}; using the private folder "
                          f"{folder.path} for this process (set GPUGRAD_CACHE to a folder only you can write)",
                          CacheWarning, stacklevel=5)
        return folder

    def build(self, key, producer):
        """The checked folder of artifact ``key`` (a path through the cache's descriptor); when it
        is missing or damaged, ``producer(workspace)`` first writes its files into an empty
        private folder (kept, for the producer's error to name, when it fails). A cache that
        turns out unwritable (read-only, full) is left for a private one."""
        folder = self.folder()
        found = self._found.get((folder, key))
        if found is None:
            try:
                found = _find_or_build(folder, key, producer, self._fds())
            except OSError as exc:
                if exc.errno not in _UNUSABLE or folder.private:
                    raise
                with self._lock:
                    for where, used in list(self._folders.items()):
                        if used is folder:
                            self._folders[where] = self._fall_back(f"{folder.path} cannot be written "
                                                                   f"({exc.strerror})")
                folder = self.folder()
                found = _find_or_build(folder, key, producer, self._fds())
            self._found[(folder, key)] = found
        return found

    def _fds(self):
        """The descriptors of every folder of this cache: a producer's children reach them all
        (a kernel includes a header built earlier, perhaps under another root)."""
        with self._lock:
            return tuple({folder.fd for folder in self._folders.values()})

    def save(self, name, data):
        """Write ``data`` (bytes) to file ``name`` of the kind's folder, replacing it in one step;
        its path (for a message), in a private ``mkdtemp`` folder kept after exit if need be."""
        folder = self.folder()
        try:
            _write_new(folder, name, data)
            return folder.path / name
        except OSError:
            path = Path(tempfile.mkdtemp(prefix=f"gpugrad-{self.kind}-")) / name
            path.write_bytes(data)
            return path


def _find_or_build(folder, key, producer, fds):
    for _ in range(2):
        found, damage = verified(folder, key)
        if found is not None:
            return found
        if damage:
            warnings.warn(f"gpugrad: rebuilding {folder.path / key}: {damage}", CacheWarning, stacklevel=4)
            _discard(folder, key)
        draft = _draft(folder, key, producer, fds)
        try:
            os.rename(draft, key, src_dir_fd=folder.fd, dst_dir_fd=folder.fd)
            return folder.via / key
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise
            _discard(folder, draft)  # another builder was first: check and use theirs
    raise OSError(errno.EAGAIN, f"{folder.path / key} keeps changing while gpugrad builds it")


def _draft(folder, key, producer, fds):
    """A new private folder holding the producer's files and their manifest; its name. A failed
    producer's folder is kept as ``failed-<key>`` (one per key), which its error names."""
    name, failed = f".build-{key}-{secrets.token_hex(6)}", f"failed-{key}"
    os.mkdir(name, 0o700, dir_fd=folder.fd)
    try:
        producer(Workspace(folder.via / name, fds, folder, folder.path / failed))
    except BaseException:
        _discard(folder, failed)
        try:
            os.rename(name, failed, src_dir_fd=folder.fd, dst_dir_fd=folder.fd)
        except OSError:
            _discard(folder, name)
        raise
    fd = os.open(name, _OPEN_DIR | os.O_NOFOLLOW, dir_fd=folder.fd)
    try:
        files = {}
        for entry in sorted(os.listdir(fd)):
            with _open_file(fd, entry) as (f, st):
                files[entry] = [st.st_size, _sha256(f)]
        _write_new(Folder(fd, folder.path / name, folder.via / name), MANIFEST,
                   json.dumps({"files": files}, indent=1).encode())
    finally:
        os.close(fd)
    return name


def verified(folder, key):
    """``(path, "")`` if artifact ``key`` is whole and this user's alone; ``(None, why not)`` if
    it is damaged; ``(None, "")`` if there is none."""
    try:
        fd = os.open(key, _OPEN_DIR | os.O_NOFOLLOW, dir_fd=folder.fd)
    except FileNotFoundError:
        return None, ""
    except OSError as exc:
        return None, _not_opened("it", folder.fd, key, exc)
    try:
        why = untrusted(os.fstat(fd), "its folder") or _damage(fd)
    finally:
        os.close(fd)
    return (None, why) if why else (folder.via / key, "")


def _damage(fd):
    """Why the files of the artifact folder ``fd`` do not match its manifest ("" if they do)."""
    try:
        with _open_file(fd, MANIFEST) as (f, st):
            files = json.loads(f.read(1 << 20))["files"]
            items = [(name, int(size), str(digest)) for name, (size, digest) in files.items()]
    except _Problem as exc:
        return str(exc)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"its manifest cannot be read ({type(exc).__name__}: {exc})"
    for name, size, digest in items:
        try:
            with _open_file(fd, name) as (f, st):
                if st.st_size != size:
                    return f"{name} has {st.st_size} bytes, {size} when it was built"
                if _sha256(f) != digest:
                    return f"{name} does not match the hash recorded when it was built"
        except _Problem as exc:
            return str(exc)
    return ""


class _Problem(Exception):
    """Why a file of an artifact cannot be trusted."""


@contextlib.contextmanager
def _open_file(dir_fd, name):
    """``(file, its fstat)`` of file ``name`` in ``dir_fd``: a regular file of this user alone,
    opened without following a link; raises _Problem saying what it is instead."""
    try:
        fd = os.open(name, _OPEN_FILE, dir_fd=dir_fd)
    except OSError as exc:
        raise _Problem(_not_opened(name, dir_fd, name, exc)) from None
    st = os.fstat(fd)
    why = f"{name} is not a regular file" if not stat.S_ISREG(st.st_mode) else untrusted(st, name)
    if why:
        os.close(fd)
        raise _Problem(why)
    with os.fdopen(fd, "rb") as f:
        yield f, st


def _not_opened(what, dir_fd, name, exc):
    """Why entry ``name`` of ``dir_fd`` (``what`` in the message) could not be opened."""
    try:
        if stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
            return f"{what} is a symbolic link"
    except OSError:
        pass
    return f"{what} cannot be opened ({exc.strerror})"


def _sha256(f):
    f.seek(0)
    digest = hashlib.sha256()
    for block in iter(lambda: f.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _write_new(folder, name, data):
    """``data`` into file ``name`` of ``folder``: written to a new file (``O_EXCL|O_NOFOLLOW``),
    then renamed over ``name`` in one step."""
    draft = f".{name}-{secrets.token_hex(6)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600,
                 dir_fd=folder.fd)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.rename(draft, name, src_dir_fd=folder.fd, dst_dir_fd=folder.fd)
    except BaseException:
        _discard(folder, draft)
        raise


def _discard(folder, name):
    """Remove entry ``name`` of ``folder`` (a folder, a file or a link), first renamed aside so
    that no reader finds it half removed; gone already is fine."""
    aside = f".discard-{secrets.token_hex(6)}"
    try:
        os.rename(name, aside, src_dir_fd=folder.fd, dst_dir_fd=folder.fd)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(os.stat(aside, dir_fd=folder.fd, follow_symlinks=False).st_mode):
        shutil.rmtree(aside, dir_fd=folder.fd, ignore_errors=True)
    else:
        os.unlink(aside, dir_fd=folder.fd)
