"""Writes the first images and labels of Fashion-MNIST as a smaller data set in the same format
(gzipped big-endian IDX, the four *-ubyte.gz names), so that the fashion_mnist example can run a
whole epoch quickly under the sanitizers.

    fashion_mnist_subset.py OUT_DIR [--train N] [--test N] [--source DIR]

The source folder is --source, else $KINDLING_FASHION_MNIST, else Debian's
/usr/share/datasets/fashion-mnist. When it is missing the script prints KINDLING_SKIP and exits 0
(the test that runs it reports itself skipped).
"""
import argparse
import gzip
import os
import struct
import sys


def subset(source, target, count):
    """Copies the IDX header of `source` with its first size set to `count`, then that many items."""
    with gzip.open(source, "rb") as f:
        magic = f.read(4)
        if len(magic) != 4 or magic[:2] != b"\0\0":
            raise SystemExit(f"{source}: not an IDX file")
        ndim = magic[3]
        sizes = list(struct.unpack(f">{ndim}I", f.read(4 * ndim)))
        count = min(count, sizes[0])
        item = 1
        for size in sizes[1:]:
            item *= size
        data = f.read(count * item)
    sizes[0] = count
    with gzip.open(target, "wb") as out:
        out.write(magic + struct.pack(f">{ndim}I", *sizes) + data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--test", type=int, default=500)
    parser.add_argument("--source", default=os.environ.get("KINDLING_FASHION_MNIST")
                        or "/usr/share/datasets/fashion-mnist")
    args = parser.parse_args()
    names = {"train": args.train, "t10k": args.test}
    sources = [os.path.join(args.source, f"{stem}-{kind}-ubyte.gz")
               for stem in names for kind in ("images-idx3", "labels-idx1")]
    missing = [path for path in sources if not os.path.exists(path)]
    if missing:
        print(f"KINDLING_SKIP: Fashion-MNIST not found ({', '.join(missing)}); "
              "install dataset-fashion-mnist")
        return 0
    os.makedirs(args.out_dir, exist_ok=True)
    for stem, count in names.items():
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{stem}-{kind}-ubyte.gz"
            subset(os.path.join(args.source, name), os.path.join(args.out_dir, name), count)
    print(f"wrote {args.train} training and {args.test} test images to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
