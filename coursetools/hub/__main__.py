"""make hub: JupyterHub for the course on this machine, for the accounts of a roster (run as root).

    python -m coursetools.hub [--root /srv/cnn-hub] [--port 8000] [--venv /opt/cnn-hub/venv] [--roster hub/roster.csv]

Creates the roster's Linux accounts if missing, gives each a new password, makes the site's folders (the
instructor's course copy only the first time), starts the hub and prints its address and the accounts;
Ctrl-C stops the hub and every server it started.
"""
import argparse
import os
import sys
from pathlib import Path

from coursetools import assignments
from coursetools.hub import accounts, layout, process, roster
from coursetools.hub.site import REPO, Site


def setup(site: Site, assignment_ids) -> dict[str, str]:
    """The accounts (with new passwords) and the site's folders; returns {username: password}."""
    for account in site.accounts:
        accounts.ensure(account.name)
    layout.prepare(site, assignment_ids)
    return accounts.set_passwords([a.name for a in site.accounts], site.state / "passwords")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursetools.hub", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path("/srv/cnn-hub"))
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--venv", type=Path, default=Path("/opt/cnn-hub/venv"))
    parser.add_argument("--roster", type=Path, default=REPO / "hub" / "roster.csv")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("make hub runs as root: it creates Linux accounts and starts each user's server as that user",
              file=sys.stderr)
        return 1
    site = Site(args.root, args.venv, roster.read(args.roster), port=args.port)
    passwords = setup(site, assignments.ALL)
    with process.running(site) as hub:
        teacher = roster.instructor(site.accounts).name
        print(f"\nJupyterHub for the course: {site.url}  (log: {site.state / 'jupyterhub.log'})\n"
              f"accounts (new passwords each start, also in {site.state / 'passwords'}, root only):")
        for account in site.accounts:
            print(f"  {account.role:<10} {account.name:<24} {passwords[account.name]}")
        print(f"\nthe instructor's course: {site.course}; to hand out an assignment, in their JupyterLab terminal:\n"
              f"  nbgrader release_assignment {assignments.DEFAULT}   (or the Formgrader's Release button)\n"
              f"as {teacher}, after the students submit: nbgrader collect {assignments.DEFAULT}, then make grade, "
              f"then nbgrader release_feedback {assignments.DEFAULT}\nCtrl-C stops the hub.", flush=True)
        try:
            hub.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
