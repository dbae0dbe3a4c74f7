"""The `cnn` assignment's catalogue: realistic mistakes (wrong.py) and right answers written other ways (correct.py)."""
from .correct import CORRECT
from .wrong import WRONG
