"""Build the Docker image with podman, run it, and check it as a user would.

1. Builds ``Dockerfile`` (``podman build --format docker``, so ``HEALTHCHECK`` is kept)
   against ``python:3.11-slim`` or, where that cannot be pulled, a Debian base made once
   with ``debootstrap`` and kept in podman's store as ``localhost/promoter-explorer-base``.
   pip inside the build uses the host's pip configuration and CA certificates, mounted for
   the build only (``podman build -v``); the image is checked not to contain them.
2. Runs the image with a runs folder (a copy of the demo run under another name) mounted
   read-only at ``/data/runs``, and waits for ``/_stcore/health``.
3. Checks that every process runs as the non-root user, that ``HEALTHCHECK`` passes, that
   every page renders its content in headless chromium (``scripts/docker_pages.py``), that
   the mounted run is offered in the run picker and loads, and that the container wrote
   nothing outside ``/tmp`` (``podman diff``). A second container, started with
   ``--read-only --tmpfs /tmp``, must serve the Predict page too.
4. Removes the containers and temporary folders it made (the image stays, tagged
   ``localhost/promoter-explorer:check``), and prints build time, image size and results.

Usage::

    python scripts/docker_check.py [--install] [--no-cache] [--doc docs/reliability.md]

Exit status: 0 when every check passed, 1 when the build or a check failed, 77 when the
check was skipped because this machine cannot build or run containers (the reason is
printed on a line starting ``docker check SKIPPED``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import docker_env  # noqa: E402
from docker_env import CheckFailed, Skip, run  # noqa: E402

from tests import devserver  # noqa: E402

IMAGE = "localhost/promoter-explorer:check"
RUNS_ROOT = "/data/runs"  # PROMOTER_RUNS_DIR in the Dockerfile
RUN_NAME = "docker-check-run"
LABEL = "org.opencontainers.image.title"  # set in both stages of the Dockerfile


def say(text: str) -> None:
    """Progress, on stderr (stdout ends with the results)."""
    print(f"docker check: {text}", file=sys.stderr, flush=True)


def build(podman: list, base: str, mounts: list, log: Path, no_cache: bool) -> float:
    """``podman build`` of the repository's Dockerfile; returns the seconds it took."""
    cmd = [*podman, "build", "--format", "docker", "--build-arg", f"BASE={base}",
           "-t", IMAGE, *docker_env.ULIMITS, *mounts, "-f", str(ROOT / "Dockerfile")]
    if no_cache:
        cmd.append("--no-cache")
    t0 = time.perf_counter()
    with open(log, "wb") as fh:
        proc = subprocess.run([*cmd, str(ROOT)], stdout=fh, stderr=subprocess.STDOUT,
                              timeout=900)
    if proc.returncode:
        tail = log.read_text(errors="replace").splitlines()[-25:]
        raise CheckFailed("the image did not build:\n    " + "\n    ".join(tail))
    return time.perf_counter() - t0


def prune_older_builds(podman: list, before: float) -> int:
    """Remove this project's dangling images (earlier builds' layers) made before ``before``.

    Those of the build just made are kept: they are the layer cache of the next build.
    """
    listed = run([*podman, "images", "--filter", "dangling=true", "--format", "json"]).stdout
    old = [im["Id"] for im in json.loads(listed or "[]")
           if (im.get("Labels") or {}).get(LABEL) == "promoter-explorer"
           and im.get("Created", before) < before]
    for image in old:
        run([*podman, "rmi", image], check=False)
    return len(old)


def start(podman: list, name: str, runs: Path, *extra) -> str:
    """Start the image detached with the runs folder read-only; return its URL."""
    port = devserver.free_port()
    run([*podman, "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8501",
         "-v", f"{runs}:{RUNS_ROOT}:ro", *docker_env.ULIMITS, *extra, IMAGE], timeout=120)
    return f"http://127.0.0.1:{port}"


def wait_healthy(podman: list, name: str, url: str) -> float:
    """Seconds until ``/_stcore/health`` answers; fails with the container's log if it exits."""
    t0 = time.perf_counter()
    waiter = subprocess.Popen([*podman, "wait", name], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        devserver.wait_healthy(url, waiter, timeout=240, poll=0.5)
    except (RuntimeError, TimeoutError) as exc:
        logs = run([*podman, "logs", "--tail", "30", name], check=False).stdout
        raise CheckFailed(f"{name} never became healthy ({exc}); its log ends:\n{logs}") from None
    finally:
        waiter.kill()
        waiter.wait()
    return time.perf_counter() - t0


def check_user(podman: list, name: str) -> str:
    """Every process of the container runs as the image's non-root user."""
    configured = run([*podman, "inspect", "--format", "{{.Config.User}}", name]).stdout.strip()
    uid = run([*podman, "exec", name, "id", "-u"]).stdout.strip()
    users = run([*podman, "top", name, "user"]).stdout.split()[1:]
    if configured in ("", "root", "0") or uid == "0" or not users or set(users) != {configured}:
        raise CheckFailed(f"container user: image says {configured!r}, exec uid {uid}, "
                          f"processes run as {sorted(set(users))}")
    return f"{configured} (uid {uid}); processes: {len(users)}, all {configured}"


def check_healthcheck(podman: list, name: str) -> str:
    """The image keeps its ``HEALTHCHECK`` and ``podman healthcheck run`` passes."""
    spec = run([*podman, "image", "inspect", "--format", "{{json .Config.Healthcheck}}",
                IMAGE]).stdout.strip()
    if spec in ("", "null", "<nil>"):
        raise CheckFailed("the image has no HEALTHCHECK (built without --format docker?)")
    probe = run([*podman, "healthcheck", "run", name], check=False)
    if probe.returncode:
        raise CheckFailed(f"HEALTHCHECK failed: {probe.stdout.strip()} {probe.stderr.strip()}")
    status = run([*podman, "inspect", "--format", "{{.State.Health.Status}}", name],
                 check=False).stdout.strip()
    if status != "healthy":
        raise CheckFailed(f"health status after the HEALTHCHECK is {status!r}")
    return status


def changed_paths(podman: list, name: str) -> list:
    """The paths that ``podman diff`` lists for a container."""
    lines = run([*podman, "diff", name]).stdout.split("\n")
    return [ln.split(None, 1)[1] for ln in lines if ln.strip()]


def engine_changes(podman: list) -> set:
    """What the engine itself changes in a container of the image that runs nothing.

    (podman touches ``/etc`` to bind-mount ``hosts`` and ``resolv.conf``, for example.)
    """
    name = f"promoter-explorer-idle-{os.getpid()}"
    run([*podman, "run", "-d", "--name", name, *docker_env.ULIMITS, "--entrypoint", "sleep",
         IMAGE, "300"])
    try:
        return set(changed_paths(podman, name))
    finally:
        run([*podman, "rm", "-f", "-t", "0", name], check=False)


def check_writes(podman: list, name: str) -> list:
    """``podman diff``: every path the app changed lies under ``/tmp``."""
    engine = engine_changes(podman)
    changed = [p for p in changed_paths(podman, name) if p not in engine]
    outside = [p for p in changed if p != "/tmp" and not p.startswith("/tmp/")]
    if outside:
        raise CheckFailed("the container wrote outside /tmp: " + ", ".join(outside[:20]))
    return changed


def pages(url: str, shots: Path, only: str | None = None) -> dict:
    """Run ``scripts/docker_pages.py`` against ``url``; return its JSON result."""
    cmd = [sys.executable, str(ROOT / "scripts" / "docker_pages.py"), url, "--run", RUN_NAME,
           "--shots", str(shots)]
    if only:
        cmd += ["--only", only]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode:
        raise CheckFailed("pages in chromium: " + (proc.stdout + proc.stderr).strip()[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check(args) -> dict:
    """Every step; raises :class:`Skip` or :class:`CheckFailed`."""
    out = {"engine": None}
    podman = docker_env.engine(install=args.install)
    out["engine"] = docker_env.describe(podman)
    docker_env.need_browser()
    work = Path(tempfile.mkdtemp(prefix="promoter-docker-check-"))
    names = []
    try:
        t0 = time.perf_counter()
        base, how = docker_env.base_image(podman, args.base, work, fresh=args.no_cache)
        out["base"], out["base_how"], out["base_s"] = base, how, time.perf_counter() - t0
        say(f"base image {base} ({how}); building {IMAGE}")
        docker_env.probe(podman, base)
        mounts, pip_paths = docker_env.pip_mounts(work)
        started = time.time()
        out["build_s"] = build(podman, base, mounts, work / "build.log", args.no_cache)
        out["pruned"] = prune_older_builds(podman, started)
        out["image_bytes"] = int(run([*podman, "image", "inspect", "--format", "{{.Size}}",
                                      IMAGE]).stdout.strip())
        leaked = docker_env.baked_in(podman, base, IMAGE, pip_paths)
        if leaked:
            raise CheckFailed("the build's pip configuration is in the image: " + str(leaked))
        runs = work / "runs"
        shutil.copytree(ROOT / "assets" / "demo_model", runs / RUN_NAME)
        for p in [work, runs, *runs.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)  # readable by the image's user

        name = f"promoter-explorer-check-{os.getpid()}"
        names.append(name)
        say(f"built in {out['build_s']:.0f} s; starting it with {runs} at {RUNS_ROOT} (ro)")
        url = start(podman, name, runs)
        out["health_s"] = wait_healthy(podman, name, url)
        out["user"] = check_user(podman, name)
        out["healthcheck"] = check_healthcheck(podman, name)
        say("healthy, non-root, HEALTHCHECK passes; checking the pages in chromium")
        out["pages"] = pages(url, work / "shots")
        out["changed"] = check_writes(podman, name)

        ro = f"{name}-ro"
        names.append(ro)
        say("pages render, writes only under /tmp; starting a --read-only container")
        url = start(podman, ro, runs, "--read-only", "--tmpfs", "/tmp")
        out["ro_health_s"] = wait_healthy(podman, ro, url)
        out["ro_pages"] = pages(url, work / "shots-ro", only="predict")
        return out
    finally:
        if args.shots and (work / "shots").is_dir():  # kept on failure too, to look at
            shutil.copytree(work / "shots", args.shots, dirs_exist_ok=True)
        for name in names:
            run([*podman, "rm", "-f", "-t", "5", name], check=False)
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None) -> int:
    """Run the check; return its exit status (0 pass, 1 fail, 77 skipped)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--install", action="store_true",
                    help="apt-get install podman, runc, debootstrap, chromium where missing")
    ap.add_argument("--base", help="base image to build on (default: python:3.11-slim, "
                                   "else a debootstrapped Debian)")
    ap.add_argument("--no-cache", action="store_true",
                    help="rebuild every layer (and a debootstrapped base), as on a fresh machine")
    ap.add_argument("--shots", type=Path, help="keep the page screenshots in this folder")
    ap.add_argument("--doc", type=Path, help="rewrite the '## Docker image' section's "
                                             "measurements in this file")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        out = check(args)
    except Skip as exc:
        print(f"docker check SKIPPED: {exc}")
        return 77
    except (CheckFailed, subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        print(f"docker check FAILED: {exc} {detail}".rstrip())
        return 1
    out["total_s"] = time.perf_counter() - t0
    report = docker_env.summary(out)
    print(report)
    if args.doc:
        docker_env.write_doc(args.doc, out)
    return 0


if __name__ == "__main__":
    # a CI timeout sends SIGTERM: exit through the finally blocks that remove the containers
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
