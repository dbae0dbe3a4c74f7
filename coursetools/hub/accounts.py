"""Real Linux accounts for the roster, with passwords made at run time (never stored in the repository)."""
import os
import pwd
import secrets
import subprocess
from pathlib import Path


def ensure(name: str) -> pwd.struct_passwd:
    """The account `name`, created with a home of its own if it does not exist; the home closed to others
    (useradd's default mode can let every user read it)."""
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--user-group", "--shell", "/bin/bash", name], check=True)
        user = pwd.getpwnam(name)
    os.chmod(user.pw_dir, 0o700)
    return user


def set_passwords(names, password_file: Path) -> dict[str, str]:
    """A new random password for each account (chpasswd), also written to `password_file`, readable by root only."""
    passwords = {name: secrets.token_urlsafe(12) for name in names}
    subprocess.run(["chpasswd"], input="".join(f"{n}:{p}\n" for n, p in passwords.items()), text=True, check=True)
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.writelines(f"{n} {p}\n" for n, p in passwords.items())
    return passwords


def run_as(name: str, argv, cwd: Path, env: dict, **kwargs) -> subprocess.CompletedProcess:
    """Run a command as the account `name` (runuser), in `cwd`, with exactly `env` plus its HOME and USER."""
    user = pwd.getpwnam(name)
    env = dict(env, HOME=user.pw_dir, USER=name, LOGNAME=name)
    return subprocess.run(["runuser", "-u", name, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), *argv],
                          cwd=cwd, **kwargs)
