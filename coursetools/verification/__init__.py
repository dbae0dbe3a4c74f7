"""Re-verification: every grade cell judged again in the TA's process, against the student's code in a fresh
sandboxed worker (verify.py), over a pickle-free wire (wire.py), with the for-loop rule read from the source
(loop_rule.py) and the references answered under the student's limits (references.py)."""
