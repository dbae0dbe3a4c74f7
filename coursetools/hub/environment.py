"""The users' Python environment (make hub-install): what every user's server and the instructor's `make grade`
run on, in a place every user may read (the repository's .venv is closed to them: the repository holds the
solutions, and its interpreter may live in root's home, as pyenv's does).

    python -m coursetools.hub.environment PROJECT_VENV TARGET

TARGET is .venv copied (hard links where the file system allows: seconds, no download) on the very interpreter
.venv runs on: another Python of the same minor version is not good enough (in Debian 12's 3.11.2, `re` fails
soupsieve's `(?P<tag_ns>...)?+` possessive pattern where 3.11.7 matches it, so the locked soupsieve, which
nbconvert's feedback export uses, rejects every CSS selector: "Invalid character 'i'" for `img:not([alt])`).
When the users cannot reach that interpreter (pyenv's under root's 0700 home), its installation, without its
site-packages, is copied next to TARGET, its executable's library path made relative (patchelf) so that it loads
the copied libpython. Then JupyterHub (hub/requirements.txt, every package it adds pinned) is installed into
TARGET.
"""
import argparse
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def link_or_copy(source, target):
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def rewrite(path: Path, data: bytes, mode: int) -> None:
    """`path` with new contents as a new file: a hard link to the project's copy is left as it is."""
    path.unlink()
    path.write_bytes(data)
    path.chmod(mode)


def world_reachable(path: Path) -> bool:
    """Whether any user may run `path`: it and every folder above it open to others."""
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in [path, *path.parents])


def base_interpreter(project: Path) -> tuple[Path, Path]:
    """The executable .venv's python resolves to, and the installation (sys.base_prefix) it belongs to."""
    prefix = subprocess.run([str(project / "bin" / "python"), "-c", "import sys; print(sys.base_prefix)"],
                            capture_output=True, text=True, check=True).stdout.strip()
    return (project / "bin" / "python").resolve(), Path(prefix)


def copy_interpreter(executable: Path, prefix: Path, target: Path) -> Path:
    """The installation `prefix` copied to `target` without its site-packages; the copy's executable."""
    site_packages = {p.resolve() for p in prefix.glob("lib/python3*/site-packages")}
    shutil.copytree(prefix, target, symlinks=True, copy_function=link_or_copy,
                    ignore=lambda folder, names: [n for n in names if Path(folder, n).resolve() in site_packages])
    copied = target / executable.relative_to(prefix)
    rewrite(copied, executable.read_bytes(), 0o755)  # patchelf edits in place: not through a hard link
    if shutil.which("patchelf") is None:
        subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf"
                       " >/dev/null", shell=True, check=True)
    if subprocess.run(["patchelf", "--print-rpath", str(copied)], capture_output=True, text=True,
                      check=True).stdout.strip():
        relative = os.path.relpath(target / "lib", copied.parent)
        subprocess.run(["patchelf", "--set-rpath", f"$ORIGIN/{relative}", str(copied)], check=True)
    return copied


def copy_environment(project: Path, target: Path, python: Path) -> None:
    """`project` copied to `target`, its interpreter `python`, its scripts and pyvenv.cfg naming the new place."""
    shutil.copytree(project, target, symlinks=True, copy_function=link_or_copy)
    for link in (target / "bin").glob("python*"):
        if link.is_symlink():
            link.unlink()
    (target / "bin" / "python3").symlink_to(python)
    for name in ("python", python.name):
        if not (target / "bin" / name).is_symlink():
            (target / "bin" / name).symlink_to("python3")
    cfg = target / "pyvenv.cfg"
    rewrite(cfg, re.sub(r"(?m)^(home|executable|command) = .*\n", "", cfg.read_text()).encode() +
            f"home = {python.parent}\n".encode(), 0o644)
    for script in (target / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        text = script.read_bytes()
        if str(project).encode() in text:
            rewrite(script, text.replace(str(project).encode(), str(target).encode()), 0o755)


def build(project: Path, target: Path) -> None:
    python, prefix = base_interpreter(project)
    interpreter_copy = target.parent / "python"
    for old in (target, interpreter_copy):
        shutil.rmtree(old, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not world_reachable(python):
        python = copy_interpreter(python, prefix, interpreter_copy)
    copy_environment(project, target, python)
    subprocess.run([str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r",
                    str(REPO / "hub" / "requirements.txt")], check=True)
    subprocess.run(["chmod", "-R", "a+rX", str(target.parent)], check=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools.hub.environment", description=__doc__.split("\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    build(args.project.resolve(), args.target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
