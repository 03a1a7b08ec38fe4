"""The cache of compiled code (issue 21): it loads only what this user alone can write, checks
every artifact against the size and hash recorded when it was built, survives concurrent
builders, and degrades to a private folder (one warning) wherever it cannot be used.

Run as root (CI), the other users are real: folders are given to an unused uid, and the
victim runs as another unused uid in a forked child (``as_user``). As any other user, the
cases that need a second user skip; the others use modes only.
"""
import ctypes
import os
import pickle
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import traceback
import warnings
from pathlib import Path

import pytest

from gpugrad.backends import artifact_cache, cuda
from gpugrad.backends.artifact_cache import ArtifactCache
from gpugrad.errors import CacheWarning

ROOT = os.geteuid() == 0
VICTIM, ATTACKER = 54321, 54322  # uids with no passwd entry
needs_root = pytest.mark.skipif(not ROOT, reason="giving a folder to another user needs root")
ROOT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Each test is a new process as far as the once-per-process warnings go."""
    monkeypatch.setattr(ArtifactCache, "_warned", set())


@pytest.fixture
def base():
    """A folder every user may enter (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="gpugrad-cache-test-"))
    path.chmod(0o755)
    yield path
    subprocess.run(["rm", "-rf", str(path)], check=False)


@pytest.fixture
def cache_at(monkeypatch):
    """``cache_at(root)``: a fresh ArtifactCache of kind ``kind`` under GPUGRAD_CACHE=root."""
    def make(root, kind="things"):
        monkeypatch.setenv("GPUGRAD_CACHE", str(root))
        return ArtifactCache(kind)
    return make


def write_thing(content=b"artifact v1"):
    """A producer writing one file, counting its runs."""
    def produce(workspace):
        produce.runs += 1
        (workspace.path / "thing.bin").write_bytes(content)
    produce.runs = 0
    return produce


def built(cache, produce, key="k1"):
    """``cache.build`` and the CacheWarnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = cache.build(key, produce)
    return path, [str(w.message) for w in caught if issubclass(w.category, CacheWarning)]


def as_user(uid, fn, *args):
    """``fn(*args)`` in a forked child running as ``uid`` with no supplementary groups."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            result = (True, fn(*args))
        except BaseException:  # noqa: BLE001 - reported by the parent
            result = (False, traceback.format_exc())
        with os.fdopen(write, "wb") as f:
            pickle.dump(result, f)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    ok, value = pickle.loads(data)
    assert ok, f"as uid {uid}:\n{value}"
    return value


def test_an_artifact_is_built_once_and_found_again(tmp_path, cache_at):
    produce, cache = write_thing(), cache_at(tmp_path)
    path, warned = built(cache, produce)
    assert (path / "thing.bin").read_bytes() == b"artifact v1" and not warned
    assert built(cache, produce) == (path, [])  # this process: found at once
    again, warned = built(ArtifactCache("things"), produce)  # another process: checks, finds it
    assert produce.runs == 1 and not warned and (again / "thing.bin").read_bytes() == b"artifact v1"
    entries = os.listdir(tmp_path / "things" / "k1")
    assert sorted(entries) == ["MANIFEST", "thing.bin"]
    assert stat.S_IMODE(os.stat(tmp_path / "things").st_mode) == 0o700


def _truncate(p):
    p.write_bytes(p.read_bytes()[:5])


def _flip(p):
    data = bytearray(p.read_bytes())
    data[3] ^= 0x40
    p.write_bytes(bytes(data))


def _empty(p):
    p.write_bytes(b"")


def _directory(p):
    p.unlink()
    p.mkdir()


def _symlink(p):
    target = p.parent.parent / "elsewhere"
    target.write_bytes(b"artifact v1")
    p.unlink()
    p.symlink_to(target)


def _no_manifest(p):
    (p.parent / "MANIFEST").unlink()


def _group_writable(p):
    p.chmod(0o664)


DAMAGE = {"truncated": (_truncate, "has 5 bytes"), "flipped": (_flip, "does not match the hash"),
          "emptied": (_empty, "has 0 bytes"), "a directory": (_directory, "not a regular file"),
          "a symbolic link": (_symlink, "is a symbolic link"),
          "no manifest": (_no_manifest, "MANIFEST cannot be opened"),
          "group-writable": (_group_writable, "writable by its group")}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_artifact_is_rebuilt_with_one_warning_never_used(tmp_path, cache_at, damage):
    produce = write_thing()
    path, _ = built(cache_at(tmp_path), produce)
    spoil, reason = DAMAGE[damage]
    spoil(tmp_path / "things" / "k1" / "thing.bin")
    path, warned = built(ArtifactCache("things"), produce)
    assert produce.runs == 2 and len(warned) == 1 and reason in warned[0] and "rebuilding" in warned[0]
    assert (path / "thing.bin").read_bytes() == b"artifact v1"
    if damage == "a symbolic link":
        assert (tmp_path / "things" / "elsewhere").read_bytes() == b"artifact v1"  # not written through


def test_an_artifact_folder_replaced_by_a_link_or_a_file_is_rebuilt(tmp_path, cache_at):
    produce = write_thing()
    built(cache_at(tmp_path), produce)
    folder = tmp_path / "things" / "k1"
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    folder.symlink_to(tmp_path)
    _, warned = built(ArtifactCache("things"), produce)
    assert len(warned) == 1 and "it is a symbolic link" in warned[0] and tmp_path.is_dir()
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    folder.write_bytes(b"")
    path, warned = built(ArtifactCache("things"), produce)
    assert len(warned) == 1 and "it cannot be opened (Not a directory)" in warned[0]
    assert (path / "thing.bin").exists()


@needs_root
def test_a_folder_of_another_user_is_never_loaded_from(base, cache_at):
    """Another user made the cache folder first and planted a shared object there: the victim
    (root here) warns once, naming the folder and its owner, and never loads that object."""
    marker = base / "attacker-code-ran"
    evil = base / "evil.c"
    evil.write_text(f'#include <stdio.h>\n__attribute__((constructor)) static void run(void) '
                    f'{{ FILE* f = fopen("{marker}", "w"); if (f) fclose(f); }}\n')
    planted = base / "shared" / "things" / "k1"
    planted.mkdir(parents=True)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(planted / "kernel.so"), str(evil)], check=True)
    honest = ArtifactCache("honest-copy")  # a manifest as the real builder would write it
    (planted / "MANIFEST").write_text((_manifest_for(planted / "kernel.so", honest)))
    subprocess.run(["chown", "-R", f"{ATTACKER}:{ATTACKER}", str(base / "shared")], check=True)
    (base / "shared").chmod(0o777)

    def produce(workspace):
        subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(workspace.path / "kernel.so"), "-x", "c", "/dev/null"],
                       check=True, pass_fds=workspace.fds)
    path, warned = built(cache_at(base / "shared"), produce)
    ctypes.CDLL(str(path / "kernel.so"))
    assert not marker.exists()
    assert len(warned) == 1 and str(base / "shared") in warned[0] and f"owned by uid {ATTACKER}" in warned[0]
    assert "private folder" in warned[0] and not str(path).startswith(str(base))


def _manifest_for(so, cache):
    import hashlib
    data = so.read_bytes()
    return '{"files": {"kernel.so": [%d, "%s"]}}' % (len(data), hashlib.sha256(data).hexdigest())


def test_a_cache_others_may_write_is_refused(base, cache_at):
    root = base / "team-scratch"
    root.mkdir(mode=0o777)
    root.chmod(0o777)
    path, warned = built(cache_at(root), write_thing())
    assert len(warned) == 1 and str(root) in warned[0] and "writable by others" in warned[0]
    assert not (root / "things").exists() and (path / "thing.bin").exists()
    assert built(ArtifactCache("things"), write_thing())[1] == []  # one warning per process


def test_a_kind_folder_that_is_a_link_is_refused(base, cache_at):
    root, elsewhere = base / "cache", base / "elsewhere"
    root.mkdir(mode=0o700)
    elsewhere.mkdir(mode=0o700)
    (root / "things").symlink_to(elsewhere)
    _, warned = built(cache_at(root), write_thing())
    assert len(warned) == 1 and f"{root / 'things'} is a symbolic link" in warned[0] and os.listdir(elsewhere) == []


def _build_in_read_only_cache(root):
    os.environ["GPUGRAD_CACHE"] = str(root)
    path, warned = built(ArtifactCache("things"), write_thing())
    return str(path), warned, (path / "thing.bin").read_bytes()


def test_a_read_only_cache_falls_back_to_a_private_one(base):
    root = base / "read-only"
    root.mkdir()
    if ROOT:  # root writes anywhere: the victim is another user
        os.chown(root, VICTIM, VICTIM)
    root.chmod(0o555)
    path, warned, content = as_user(VICTIM, _build_in_read_only_cache, root) if ROOT else \
        _build_in_read_only_cache(root)
    assert content == b"artifact v1" and len(warned) == 1 and str(root) in warned[0]
    assert "private folder" in warned[0]


def _build_without_home(home):
    if home is None:
        os.environ.pop("HOME", None)
    else:
        os.environ["HOME"] = home
    os.environ.pop("GPUGRAD_CACHE", None)
    path, warned = built(ArtifactCache("things"), write_thing())
    return str(path), warned, (path / "thing.bin").read_bytes()


@pytest.mark.parametrize("home", [None, "", "relative/home"])
def test_no_usable_home_falls_back_to_a_private_cache(home, monkeypatch):
    monkeypatch.setenv("HOME", "/nonexistent")  # restored afterwards; the helper changes it
    path, warned, content = _build_without_home(home)
    assert content == b"artifact v1" and len(warned) == 1 and "HOME" in warned[0]
    assert Path(path).resolve().name == "k1" and not Path("/.cache/gpugrad").exists()


@needs_root
def test_a_uid_without_a_passwd_entry_gets_a_private_cache():
    path, warned, content = as_user(VICTIM, _build_without_home, None)
    assert content == b"artifact v1" and len(warned) == 1 and "HOME is not set" in warned[0]


def test_a_full_disk_falls_back_to_a_private_cache(tmp_path, cache_at):
    """The disk fills up while a producer writes (a fake: the producer fails with ENOSPC once)."""
    def produce(workspace):
        produce.runs += 1
        if produce.runs == 1:
            raise OSError(28, os.strerror(28))
        (workspace.path / "thing.bin").write_bytes(b"artifact v1")
    produce.runs = 0
    path, warned = built(cache_at(tmp_path), produce)
    assert (path / "thing.bin").read_bytes() == b"artifact v1"
    assert len(warned) == 1 and "cannot be written (No space left on device)" in warned[0]


def test_private_folders_have_no_fixed_names(monkeypatch):
    monkeypatch.delenv("GPUGRAD_CACHE", raising=False)
    monkeypatch.delenv("HOME")
    paths = {str(built(ArtifactCache("things"), write_thing())[0].resolve()) for _ in range(2)}
    assert len(paths) == 2


def test_the_nvrtc_failure_dump_goes_to_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GPUGRAD_CACHE", str(tmp_path))
    path = cuda._saved_source("bad kernel")
    assert path == tmp_path / "failed-kernels" / path.name and path.read_text() == "bad kernel"
    monkeypatch.delenv("GPUGRAD_CACHE")
    monkeypatch.delenv("HOME")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CacheWarning)
        path = cuda._saved_source("bad kernel")
    assert path.read_text() == "bad kernel" and "gpugrad-failed-kernels" not in str(path)


# ---- the simulator's kernels, in subprocesses (a crash there fails the test, not the suite)

KERNEL_RUN = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    from gpugrad.backends.cuda_sim import SimBackend
    warnings.simplefilter("always")
    sim = SimBackend()
    y = np.zeros(8, np.float32)
    kernel = sim.load_module('extern "C" __global__ void fill(float* y) { y[threadIdx.x] = 7.0f; }')
    sim.launch(kernel.get_function("fill"), 1, 8, (y,))
    assert (y == 7.0).all(), y
    print("ran", flush=True)
""")


def _run_kernel(cache, go=None, user=None):
    """KERNEL_RUN in a new process with GPUGRAD_CACHE=``cache`` (None: no HOME either), as
    ``user`` (None: this one)."""
    env = dict(os.environ, GPUGRAD_CACHE=str(cache), PYTHONPATH=str(ROOT_DIR))
    if cache is None:
        del env["GPUGRAD_CACHE"], env["HOME"]
    code = KERNEL_RUN if go is None else f"import os, time\nwhile not os.path.exists({str(go)!r}): " \
                                         f"time.sleep(0.005)\n" + KERNEL_RUN
    if user is not None:  # after the imports: this Python's own files may be root's alone
        code = f"import os\nfrom gpugrad.backends.cuda_sim import SimBackend\nos.setgroups([])\n" \
               f"os.setgid({user})\nos.setuid({user})\n" + code
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _finished(proc):
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and out.strip() == "ran", f"exit {proc.returncode}\n{err[-3000:]}"
    return err


def test_concurrent_builders_of_one_kernel_all_succeed(tmp_path):
    """Three processes compile the same kernel (and the precompiled header) into a fresh cache
    at once; before, some failed with KernelCompileError."""
    go = tmp_path / "go"
    procs = [_run_kernel(tmp_path / "cache", go) for _ in range(3)]
    go.touch()
    for proc in procs:
        assert "CacheWarning" not in _finished(proc)
    kernels = [p for p in (tmp_path / "cache" / "cuda_sim").iterdir() if not p.name.startswith("shim-")]
    assert len(kernels) == 1 and sorted(os.listdir(kernels[0])) == ["MANIFEST", "kernel.cpp", "kernel.so"]


def _seeded_cache(path):
    """A cache holding this machine's precompiled shim already (building it takes a second)."""
    from gpugrad.backends.cuda_sim import compiler
    header = compiler.precompiled_shim()[0]
    shutil.copytree(os.path.realpath(header.parent), path / "cuda_sim" / header.parent.name)
    return path


def _kernel_folder(cache):
    (kernel,) = [p for p in (cache / "cuda_sim").iterdir() if not p.name.startswith("shim-")]
    return kernel


def test_a_damaged_kernel_is_rebuilt_not_loaded(tmp_path):
    """Before: a cached object truncated to half, or with bytes flipped, killed the interpreter."""
    cache = _seeded_cache(tmp_path)
    assert "CacheWarning" not in _finished(_run_kernel(cache))
    for damage in ("truncated", "flipped"):
        so = _kernel_folder(cache) / "kernel.so"
        data = bytearray(so.read_bytes())
        if damage == "truncated":
            data = data[:len(data) // 2]
        else:
            data[len(data) // 3:len(data) // 3 + 64] = bytes(64)
        so.write_bytes(bytes(data))
        err = _finished(_run_kernel(cache))
        assert err.count("CacheWarning: gpugrad: rebuilding") == 1 and str(so.parent) in err, damage


def test_a_truncated_precompiled_header_is_rebuilt(tmp_path):
    cache = _seeded_cache(tmp_path)
    (shim,) = [p for p in (cache / "cuda_sim").iterdir() if p.name.startswith("shim-")]
    gch = shim / "shim.h.gch"
    gch.write_bytes(gch.read_bytes()[:1000])
    err = _finished(_run_kernel(cache))
    assert err.count("CacheWarning: gpugrad: rebuilding") == 1 and "shim.h.gch has 1000 bytes" in err


@pytest.mark.parametrize("place", ["read-only", "no HOME"])
def test_the_simulator_builds_its_kernels_privately_where_the_cache_is_unusable(base, place):
    """The kernel and its precompiled header built in a private folder, with one warning
    naming why (as another user when run as root: root writes a read-only folder)."""
    cache, user = None, None
    if place == "read-only":
        cache = base / "read-only"
        cache.mkdir()
        if ROOT:
            os.chown(cache, VICTIM, VICTIM)
            user = VICTIM
        cache.chmod(0o555)
    err = _finished(_run_kernel(cache, user=user))
    assert err.count("CacheWarning") == 1 and "private folder" in err, err
    assert ("HOME is not set" if cache is None else str(cache)) in err and (cache is None or not os.listdir(cache))
