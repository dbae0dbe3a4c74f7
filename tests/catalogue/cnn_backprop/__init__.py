"""The `cnn_backprop` catalogue: realistic mistakes (wrong.py) and right answers written other ways (correct.py) for
the seven parts of the second assignment, from numerical_gradient to train."""
from .correct import CORRECT
from .wrong import WRONG
