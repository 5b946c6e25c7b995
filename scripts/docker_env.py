"""The container engine side of ``scripts/docker_check.py``: tools, base image, pip mounts.

Whatever this machine cannot do (no engine, no storage, a runtime that cannot start a
container, no way to get a base image, no browser) raises :class:`Skip`; a problem of the
image itself raises :class:`CheckFailed`.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE_DEFAULT = "docker.io/library/python:3.11-slim"
BASE_LOCAL = "localhost/promoter-explorer-base:bookworm"  # cached between runs
SUITE = "bookworm"  # Debian 12: python3 is 3.11, like python:3.11-slim
# podman's default ulimits exceed what root without CAP_SYS_RESOURCE may set
ULIMITS = ["--ulimit", "nofile=16384:16384", "--ulimit", "nproc=16384:16384"]
APT = ["podman", "runc", "debootstrap", "chromium"]


class Skip(Exception):
    """Raised when this machine cannot build or run the image (no fault of the image)."""


class CheckFailed(Exception):
    """The image failed to build or failed a check."""


def run(cmd: list, check: bool = True, timeout: float = 300, **kw):
    """``subprocess.run`` with text output captured."""
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=timeout,
                          **kw)


def apt_install(packages: list) -> None:
    """``apt-get install`` as root; :class:`Skip` when that is not possible."""
    if os.geteuid() != 0:
        raise Skip(f"{' '.join(packages)} missing and not root to apt-get install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        run(["apt-get", "update", "-qq"], timeout=600, env=env)
        # with recommends: podman's networking (netavark, aardvark-dns, iptables) comes so
        run(["apt-get", "install", "-y", "-qq", *packages], timeout=900, env=env)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        raise Skip(f"could not apt-get install {' '.join(packages)}: "
                   f"{(getattr(exc, 'stderr', '') or str(exc)).strip()[-300:]}") from None


def engine(install: bool = False) -> list:
    """The podman command (with ``--runtime runc`` where runc exists), checked to work."""
    missing = [p for p in APT if not shutil.which(p) and not Path(f"/usr/sbin/{p}").exists()
               and not (p == "chromium" and Path("/usr/bin/chromium").exists())]
    if missing and install:
        apt_install(missing)
    if not shutil.which("podman"):
        raise Skip("no container engine: podman is not installed (apt-get install podman runc)")
    podman = ["podman"]
    runc = shutil.which("runc") or ("/usr/sbin/runc" if Path("/usr/sbin/runc").exists() else None)
    if runc:  # crun refuses some kernels' cgroup layout; runc works there
        podman += ["--runtime", runc]
    info = run([*podman, "info", "--format", "{{.Store.GraphDriverName}}"], check=False,
               timeout=120)
    if info.returncode:
        raise Skip(f"podman cannot use its storage here: {info.stderr.strip()[-300:]}")
    return podman


def describe(podman: list) -> str:
    """E.g. ``podman 4.3.1, runtime runc, storage overlay``."""
    version = run([*podman, "--version"]).stdout.split()[-1]
    driver = run([*podman, "info", "--format", "{{.Store.GraphDriverName}}"]).stdout.strip()
    runtime = Path(podman[podman.index("--runtime") + 1]).name if "--runtime" in podman \
        else "default"
    return f"podman {version}, runtime {runtime}, storage {driver}"


def need_browser() -> None:
    """Debian chromium and Playwright are needed to check that the pages render."""
    if not Path("/usr/bin/chromium").exists():
        raise Skip("/usr/bin/chromium is missing (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise Skip(f"Playwright is not installed in {sys.executable} (pip install -e .[dev])") \
            from None


def exists(podman: list, image: str) -> bool:
    """Whether podman's store has ``image``."""
    return run([*podman, "image", "exists", image], check=False).returncode == 0


def debian_mirror() -> str:
    """The host's Debian mirror (apt sources), else ``http://deb.debian.org/debian``."""
    if os.environ.get("DEBIAN_MIRROR"):
        return os.environ["DEBIAN_MIRROR"]
    texts = []
    for p in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        if p.suffix in (".list", ".sources", "") and p.is_file():
            texts.append(p.read_text(errors="replace"))
    for text in texts:
        for m in re.finditer(r"(?:^URIs:\s*|^deb\s+(?:\[[^]]*\]\s*)?)(\S+/debian)/?\s*$", text,
                             re.M):
            return m.group(1)
    return "http://deb.debian.org/debian"


def debootstrap(podman: list, work: Path) -> None:
    """Debian ``SUITE`` with python3 and venv, imported into podman as ``BASE_LOCAL``."""
    if not shutil.which("debootstrap") and not Path("/usr/sbin/debootstrap").exists():
        raise Skip("python:3.11-slim cannot be pulled and debootstrap is not installed")
    rootfs = work / "rootfs"
    try:
        proc = subprocess.run(
            ["debootstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates",
             SUITE, str(rootfs), debian_mirror()], capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        raise Skip("python:3.11-slim cannot be pulled and debootstrap took over 15 minutes") \
            from None
    if proc.returncode:
        raise Skip("python:3.11-slim cannot be pulled and debootstrap failed: "
                   + (proc.stdout + proc.stderr).strip()[-400:])
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc",
                 "usr/share/man", "usr/share/info"):
        for p in (rootfs / junk).glob("*"):
            if p.is_file() or p.is_symlink():
                p.unlink()
            elif p.is_dir() and p.name != "partial":
                shutil.rmtree(p)
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."],
                           stdout=subprocess.PIPE)
    imp = subprocess.run([*podman, "import", "--change", 'CMD ["/bin/bash"]', "-", BASE_LOCAL],
                         stdin=tar.stdout, capture_output=True, text=True, timeout=600)
    tar.stdout.close()
    tar.wait()
    shutil.rmtree(rootfs, ignore_errors=True)
    if imp.returncode or tar.returncode:
        raise Skip(f"podman import of the debootstrapped base failed: {imp.stderr[-300:]}")


def base_image(podman: list, wanted: str | None, work: Path,
               fresh: bool = False) -> tuple[str, str]:
    """The base to build on, and how it was found.

    ``wanted`` if given; else ``python:3.11-slim`` (present or pulled); else the cached
    debootstrapped base (unless ``fresh``); else one debootstrapped now.
    """
    if wanted:
        if not exists(podman, wanted) and run([*podman, "pull", wanted], check=False,
                                              timeout=600).returncode:
            raise Skip(f"base image {wanted} is neither present nor pullable")
        return wanted, "given"
    if exists(podman, BASE_DEFAULT):
        return BASE_DEFAULT, "present"
    try:
        if run([*podman, "pull", "-q", BASE_DEFAULT], check=False, timeout=300).returncode == 0:
            return BASE_DEFAULT, "pulled"
    except subprocess.TimeoutExpired:
        pass  # no registry within reach: build a base below
    if fresh and exists(podman, BASE_LOCAL):  # remove it, or untag it if images use it
        if run([*podman, "rmi", BASE_LOCAL], check=False).returncode:
            run([*podman, "untag", BASE_LOCAL])
    if exists(podman, BASE_LOCAL):
        return BASE_LOCAL, f"cached debootstrap (Debian {SUITE}; {BASE_DEFAULT} not pullable)"
    debootstrap(podman, work)
    return BASE_LOCAL, f"debootstrapped now (Debian {SUITE}; {BASE_DEFAULT} not pullable)"


def probe(podman: list, base: str) -> None:
    """A trivial container with a published port must start: else the engine cannot run here."""
    from tests.devserver import free_port

    port = free_port()
    try:
        proc = run([*podman, "run", "--rm", *ULIMITS, "-p", f"127.0.0.1:{port}:8501", base,
                    "python3", "-c", "pass"], check=False, timeout=300)
    except subprocess.TimeoutExpired:
        raise Skip("podman took over 5 minutes to run a trivial container here") from None
    if proc.returncode:
        raise Skip("podman cannot start a container with a published port here: "
                   + proc.stderr.strip()[-400:])


def pip_config(listed: str) -> configparser.ConfigParser:
    """Return the pip configuration that ``pip config list`` printed, as one ``pip.conf``.

    Lines are ``section.key='value'``; ``:env:`` lines (``PIP_*`` variables) go to
    ``[global]`` and win over the files' values, as they do for pip itself.
    """
    cfg = configparser.ConfigParser(interpolation=None)
    entries = []
    for line in listed.splitlines():
        m = re.match(r"^([^=]+?)\.([\w-]+)='(.*)'$", line.strip())
        if m:
            entries.append((m.group(1) == ":env:", m.group(1), m.group(2), m.group(3)))
    for from_env, section, key, value in sorted(entries, key=lambda e: e[0]):
        section = "global" if from_env else section
        if not cfg.has_section(section):
            cfg.add_section(section)
        cfg.set(section, key, value)
    return cfg


def local_paths(cfg: configparser.ConfigParser) -> list:
    """Return the existing local files and folders that a pip configuration names.

    CA bundle, constraints, find-links and ``file://`` indexes; for an index ending in
    ``simple``, the folder above it (its pages link to ``../../files/``).
    """
    paths = []
    for section in cfg.sections():
        for _key, value in cfg.items(section):
            for token in value.split():
                path = token[len("file://"):] if token.startswith("file://") else token
                if token.startswith("file://") and Path(path).name == "simple":
                    path = str(Path(path).parent)
                if path.startswith("/") and Path(path).exists() and path not in paths:
                    paths.append(path)
    return paths


def pip_mounts(work: Path) -> tuple[list, list]:
    """Return ``-v`` options giving pip in the build the host's pip configuration, read-only.

    The host's effective configuration (:func:`pip_config` of ``pip config list``) is
    written to ``work/pip.conf`` and mounted at ``/etc/pip.conf``; every local path it names
    (:func:`local_paths`) is mounted at the same path. Returns the options and the paths
    mounted (for :func:`baked_in`).
    """
    listed = run([sys.executable, "-m", "pip", "config", "list"], check=False).stdout
    cfg = pip_config(listed)
    conf = work / "pip.conf"
    with open(conf, "w") as fh:
        cfg.write(fh)
    paths = local_paths(cfg)
    mounts = ["-v", f"{conf}:/etc/pip.conf:ro"]
    for path in paths:
        mounts += ["-v", f"{path}:{path}:ro"]
    return mounts, ["/etc/pip.conf", *paths]


def baked_in(podman: list, base: str, image: str, paths: list) -> list:
    """Paths mounted for the build that the image has but its base has not."""
    code = "import os, sys; print('\\n'.join(p for p in sys.argv[1:] if os.path.exists(p)))"

    def present(img, python):
        return set(run([*podman, "run", "--rm", *ULIMITS, "--entrypoint", python, img,
                        "-c", code, *paths]).stdout.split())

    return sorted(present(image, "python") - present(base, "python3"))


def _reloads(page: dict) -> str:
    n = page.get("reloads", 0)
    return f" (loaded {n + 1} times: the host's network changed under the first)" if n else ""


def summary(out: dict) -> str:
    """The check's results as the lines printed at its end."""
    pages = out["pages"]
    lines = [
        f"engine:       {out['engine']}",
        f"base image:   {out['base']} ({out['base_how']}; {out['base_s']:.0f} s)",
        f"build:        {out['build_s']:.0f} s",
        f"image size:   {out['image_bytes'] / 1e9:.2f} GB ({out['image_bytes']:,} bytes)",
        f"healthy:      {out['health_s']:.0f} s after start; HEALTHCHECK {out['healthcheck']}",
        f"user:         {out['user']}",
    ]
    for slug in ("predict", "mutagenesis", "motifs", "training"):
        p = pages[slug]
        lines.append(f"page {slug + ':':13s}'{p['heading']}', {len(p['plots'])} chart(s) "
                     f"({', '.join(p['plots'])}), {p['tables']} table(s), {p['images']} "
                     f"image(s), {p['seconds']:.0f} s{_reloads(p)}")
    picker = pages["picker"]
    lines += [
        f"run picker:   offers {picker['offered']}; '{picker['selected']}' (mounted read-only)"
        f" loads and predicts",
        f"writes:       {len(out['changed'])} path(s) changed, all under /tmp "
        f"({', '.join(out['changed'][:6])}{', ...' if len(out['changed']) > 6 else ''})",
        f"read-only:    --read-only --tmpfs /tmp: healthy after {out['ro_health_s']:.0f} s, "
        f"Predict renders{_reloads(out['ro_pages']['predict'])}",
        f"total:        {out['total_s']:.0f} s",
    ]
    return "\n".join(lines)


def write_doc(doc: Path, out: dict) -> None:
    """Rewrite the measured block (between markers) of ``doc``'s '## Docker image' section."""
    from promoter_model import atomic

    start, end = "<!-- docker_check:begin -->", "<!-- docker_check:end -->"
    text = doc.read_text()
    if start not in text or end not in text:
        raise CheckFailed(f"{doc} has no {start} ... {end} block to rewrite")
    import datetime
    import platform

    argv, how = sys.argv[1:], []
    while argv:  # the command as run, less where it kept the screenshots
        arg = argv.pop(0)
        if arg == "--shots":
            argv = argv[1:]
        elif not arg.startswith("--shots="):
            how.append(arg)
    how = " ".join(how)
    day = datetime.date.today().isoformat()
    block = (f"{start}\nOutput of `python scripts/docker_check.py {how}` on a "
             f"{os.cpu_count()}-core machine ({platform.platform(terse=True)}), {day}:\n\n"
             f"```\n{summary(out)}\n```\n{end}")
    head, rest = text.split(start, 1)
    atomic.write_text(doc, head + block + rest.split(end, 1)[1])
    print(f"wrote the docker_check block in {doc}")
