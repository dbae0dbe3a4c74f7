"""Make source/cnn_backprop/digits.npz, the data set of the second assignment (cnn_backprop).

    python -m coursetools.assignments.cnn_backprop.make_digits   (needs scikit-learn; the notebook does not)

The images are scikit-learn's bundled `load_digits` (BSD-3-Clause licence of scikit-learn): 1,797 8x8 images of
handwritten digits with integer pixels 0..16. scikit-learn's documentation describes them as a copy of the test
set of the UCI "Optical Recognition of Handwritten Digits" data set (E. Alpaydin, C. Kaynak, 1998): 32x32 bitmaps
from NIST forms, each 4x4 block's count of on pixels. Written here: a fixed, stratified, seeded split into 1,437
training and 360 test images, pixels scaled to [0, 1] as float64 (N, 1, 8, 8) arrays, labels as int64.
"""
import argparse
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED, TEST_SIZE = 0, 360
OUT = Path(__file__).resolve().parents[3] / "source" / "cnn_backprop" / "digits.npz"
SOURCE = ("scikit-learn's load_digits (BSD-3-Clause): a copy of the test set of the UCI Optical Recognition of "
          "Handwritten Digits data set (E. Alpaydin, C. Kaynak, 1998). Pixels 0..16 divided by 16; split 1437/360, "
          f"stratified, random_state={SEED}.")


def make(path: Path = OUT) -> None:
    digits = load_digits()
    images = digits.images.astype(np.float64)[:, None] / 16.0   # (1797, 1, 8, 8) in [0, 1]
    labels = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(images, labels, test_size=TEST_SIZE, stratify=labels,
                                                        random_state=SEED)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, source=np.array(SOURCE))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    make(parser.parse_args().out)
