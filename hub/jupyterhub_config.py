"""JupyterHub's configuration file for the course (make hub): everything is in coursetools/hub/config.py, for the
site that `python -m coursetools.hub` wrote to CNN_HUB_SITE."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from coursetools.hub.config import configure  # noqa: E402 (the repository is on the path now)
from coursetools.hub.site import Site  # noqa: E402

configure(get_config(), Site.load(os.environ["CNN_HUB_SITE"]))  # noqa: F821 (provided by JupyterHub)
