"""The course on one machine's JupyterHub (make hub): real Linux accounts, PAM logins, one server per user run as
that user, nbgrader's exchange between them.

    site.py       where a hub keeps its course copy, exchange, configuration and state, and its ports
    roster.py     hub/roster.csv: who the instructor and the students are
    accounts.py   their Linux accounts and passwords
    layout.py     the directories, with the permissions that keep students out of the course and of each other
    config.py     JupyterHub's configuration (hub/jupyterhub_config.py calls it)
    process.py    starting and stopping the hub
    __main__.py   python -m coursetools.hub: all of it, then the address and the accounts
"""
