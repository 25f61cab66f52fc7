#!/usr/bin/env python3
"""Writes safetensors files from PyTorch tensors for kindling's interop tests.

Run with Debian's Python:  /usr/bin/python3 tests/reference/nn_interop.py
Debian has no safetensors package, so the format is written here by hand (8-byte little-endian
header length, JSON header, raw little-endian data). Outputs, in tests/data/:
  nn_mlp_torch.safetensors  the state dict of torch.nn.Sequential(Linear(4, 8), ReLU(), Linear(8, 3))
  nn_mlp_torch.json         an input batch and the model's output on it
  nn_dtypes_torch.safetensors  small tensors of the dtypes kindling converts on load
"""
import json
import os
import struct

import torch

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
          torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
          torch.float16: "F16", torch.bfloat16: "BF16"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: take the bits through int16
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().tobytes()  # this machine is little-endian, as the format


def write_safetensors(tensors, path, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        data = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    out_dir = os.path.join(os.path.dirname(__file__), "..", "data")
    torch.manual_seed(4)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    x = torch.randn(5, 4)
    with torch.no_grad():
        y = model(x)
    write_safetensors(model.state_dict(), os.path.join(out_dir, "nn_mlp_torch.safetensors"),
                      {"writer": "tests/reference/nn_interop.py"})
    with open(os.path.join(out_dir, "nn_mlp_torch.json"), "w") as f:
        json.dump({"x": x.reshape(-1).tolist(), "y": y.reshape(-1).tolist()}, f, indent=1)

    dtypes = {
        "f16": torch.tensor([1.0, -2.5, 0.000061035, 65504.0, 1e-7], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.0, 1e30], dtype=torch.bfloat16),
        "i32": torch.tensor([[-7, 2147483647], [0, 5]], dtype=torch.int32),
        "i16": torch.tensor([-32768, 12], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "flags": torch.tensor([True, False, True]),
        "f64": torch.tensor([0.1, -1e300], dtype=torch.float64),
    }
    write_safetensors(dtypes, os.path.join(out_dir, "nn_dtypes_torch.safetensors"))
    expected = {k: [float(v) for v in t.to(torch.float64).reshape(-1).tolist()]
                for k, t in dtypes.items()}
    with open(os.path.join(out_dir, "nn_dtypes_torch.json"), "w") as f:
        json.dump(expected, f, indent=1)
    print("wrote", os.path.normpath(out_dir), "nn_mlp_torch.* nn_dtypes_torch.*")


if __name__ == "__main__":
    main()
