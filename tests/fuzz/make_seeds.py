#!/usr/bin/env python3
"""Writes the seed corpora of the reader fuzzers into tests/fuzz/corpus/<target>/.

Small valid files and a few interesting invalid ones, each a few hundred bytes, written by an
independent implementation of each format (struct, json and gzip from the standard library, not
kindling), so the seeds also pin the formats as documented. Deterministic: running it again gives
the same files.

    python3 tests/fuzz/make_seeds.py            # rewrites the corpora
    python3 tests/fuzz/make_seeds.py --check    # exits 1 if the committed corpora differ
"""
import gzip
import io
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- safetensors ----------------------------------------------------------------------------

# format, element size, struct code (None: raw bytes given as is)
DTYPES = {
    "BOOL": (1, "?"), "U8": (1, "B"), "I8": (1, "b"), "I16": (2, "h"), "U16": (2, "H"),
    "F16": (2, "e"), "BF16": (2, None), "I32": (4, "i"), "U32": (4, "I"), "F32": (4, "f"),
    "F64": (8, "d"), "I64": (8, "q"), "U64": (8, "Q"), "F8_E4M3": (1, None),
}


def pack(dtype, values):
    size, code = DTYPES[dtype]
    if code is None:
        return bytes(values)  # raw bytes
    return struct.pack("<%d%s" % (len(values), code), *values)


def safetensors(tensors, metadata=None, order=None, pad=True, raw_header=None):
    """tensors: list of (name, dtype, shape, values). `order` lists the names in data order."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs = {name: pack(dtype, values) for name, dtype, _, values in tensors}
    offset = 0
    offsets = {}
    for name in order or [t[0] for t in tensors]:
        offsets[name] = (offset, offset + len(blobs[name]))
        offset += len(blobs[name])
    for name, dtype, shape, _ in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": list(offsets[name])}
    text = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":"))
    data = text.encode("utf-8")
    if pad:
        data += b" " * ((8 - len(data) % 8) % 8)
    body = b"".join(blobs[name] for name in order or [t[0] for t in tensors])
    return struct.pack("<Q", len(data)) + data + body


def safetensors_seeds():
    seeds = {
        "f32": safetensors([("w", "F32", [2, 3], [1.5, -2, 3, 4.25, 5, 6])]),
        "scalar_and_empty": safetensors([("s", "F64", [], [0.1]), ("e", "F32", [0, 4], []),
                                         ("i", "I64", [2], [-5, 1 << 40])]),
        "metadata": safetensors([("x", "F32", [1], [7])],
                                metadata={"format": "pt", "note": "hi \"there\"\n"}),
        "out_of_order": safetensors([("a", "I32", [2], [1, -2]), ("b", "U8", [3], [1, 2, 255])],
                                    order=["b", "a"]),
        "escaped_name": safetensors([("caf\u00e9 \U0001f600", "F32", [1], [1])]),
        "unpadded": safetensors([("x", "I16", [2], [-1, 300])], pad=False),
        "deep_nesting": safetensors([], raw_header='{"a":{"dtype":"F32","shape":[[[[1]]]],'
                                                   '"data_offsets":[0,4]}}'),
        "duplicate": safetensors([], raw_header='{"a":{"dtype":"F32","shape":[],'
                                                '"data_offsets":[0,0]},"a":{}}'),
        "big_number": safetensors([], raw_header='{"a":{"dtype":"F32","shape":[1e400],'
                                                 '"data_offsets":[0,0]}}'),
        "f8": safetensors([("q", "F8_E4M3", [2], [1, 2])]),
    }
    every = [("t_" + name.lower(), name, [2],
              [0, 1] if name == "BOOL" else [1, 2] if DTYPES[name][1] is None else
              [0.5, -2.0] if name in ("F16", "F32", "F64") else
              [1, 200] if name.startswith("U") else [-1, 100])
             for name in DTYPES if name != "F8_E4M3"]
    seeds["every_dtype"] = safetensors(every)
    return seeds


# ---- checkpoints ----------------------------------------------------------------------------

def checkpoint(step=1, spare=(0.0, 0.0), epoch=1, lr=1e-3):
    """The layout of fuzz_checkpoint.cpp's setup: mlp<Tanh>({2, 3, 2}), AdamW, ReduceLROnPlateau
    and a generator."""
    def f32(name, shape):
        n = 1
        for d in shape:
            n *= d
        return (name, "F32", shape, [0.125 * (i + 1) * (-1) ** i for i in range(n)])
    params = [("0.weight", [3, 2]), ("0.bias", [3]), ("2.weight", [2, 3]), ("2.bias", [2])]
    tensors = [f32("model." + name, shape) for name, shape in params]
    tensors += [("optimizer.step", "I64", [], [step]), ("optimizer.lr", "F64", [], [lr]),
                ("optimizer.beta1", "F64", [], [0.9]), ("optimizer.beta2", "F64", [], [0.999]),
                ("optimizer.eps", "F64", [], [1e-8]),
                ("optimizer.weight_decay", "F64", [], [0.01])]
    for i, (_, shape) in enumerate(params):
        tensors += [f32("optimizer.state.%d.exp_avg" % i, shape),
                    f32("optimizer.state.%d.exp_avg_sq" % i, shape)]
    tensors += [("scheduler.last_epoch", "I64", [], [epoch]),
                ("scheduler.base_lr", "F64", [], [lr]), ("scheduler.best", "F64", [], [1.0]),
                ("scheduler.num_bad_epochs", "I64", [], [0]),
                ("scheduler.cooldown_counter", "I64", [], [0]),
                ("generator.state", "I64", [4], [1, -2, 3, -(1 << 62)]),
                ("generator.spare", "F64", [2], list(spare)), ("step", "I64", [], [step])]
    return safetensors(tensors, metadata={"format": "kindling-checkpoint", "version": "1"})


def checkpoint_seeds():
    return {
        "trained": checkpoint(),
        "big_step": checkpoint(step=(1 << 63) - 1, spare=(1.0, -0.5), epoch=(1 << 53) + 1),
        "not_a_checkpoint": safetensors([("model.0.weight", "F32", [3, 2], [0] * 6)]),
    }


# ---- IDX ------------------------------------------------------------------------------------

def idx(shape, data):
    return bytes([0, 0, 8, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape) + bytes(data)


def gz(data):
    # mtime 0 and no file name: the same bytes on every run.
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as f:
        f.write(data)
    return out.getvalue()


def idx_seeds():
    labels = idx([10], [i % 10 for i in range(10)])
    images = idx([2, 3, 3], range(18))
    return {
        "labels": labels,
        "images": images,
        "labels_gz": gz(labels),
        "images_gz": gz(images),
        "images_via_gzip": b"Z" + images,  # the target gzips what follows 'Z'
        "empty_dim": idx([0, 5], []),
        "two_members_gz": gz(images[:10]) + gz(images[10:]),
        "wrap": bytes([0, 0, 8, 3, 0x80, 0, 0, 0, 0, 0, 0, 4, 0x80, 0, 0, 0]),
    }


# ---- CSV ------------------------------------------------------------------------------------

def csv_seeds():
    # First byte: bit 0 header, bits 1-2 delimiter (0 ',' 1 ';' 2 tab 3 '|').
    return {
        "header_comma": b"\x01a,b,label\n1.5,2,0\r\n-3,4e2,1\n\n",
        "no_header_semicolon": b"\x02" + b"1;2;3\n4;5;6\n",
        "tab_specials": b"\x05x\ty\n nan\t-inf \n0x1p3\t1e-310\n",
        "pipe_labels": b"\x07f|label\n0.25|2.5\n1|-1\n",
        "overflow": b"\x01a\n1e400\n",
    }


# ---- writing --------------------------------------------------------------------------------

def main():
    check = "--check" in sys.argv
    corpora = {"safetensors": safetensors_seeds(), "checkpoint": checkpoint_seeds(),
               "idx": idx_seeds(), "csv": csv_seeds()}
    differ = []
    for target, seeds in corpora.items():
        folder = os.path.join(HERE, "corpus", target)
        os.makedirs(folder, exist_ok=True)
        for name, data in sorted(seeds.items()):
            path = os.path.join(folder, name)
            if check:
                if not os.path.exists(path) or open(path, "rb").read() != data:
                    differ.append(path)
            else:
                with open(path, "wb") as f:
                    f.write(data)
    if differ:
        print("seed files differ from make_seeds.py:\n  " + "\n  ".join(differ))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
