"""Course tooling for the CNN module: the assignment's contract, the sample class and the grading cycle."""
