#!/usr/bin/env python3
"""Creates the quantization test vectors in this folder, once, with llama.cpp's own tools (see README.md).

For every type: a few rows of random floats (varied block scales, zeros, a negative-only row, outliers, tiny values),
quantized by llama.cpp's `llama-quantize --pure` (ggml's reference quantizers `quantize_row_*_ref`, used when no
importance matrix is given), read back with gguf-py's GGUFReader, and dequantized with gguf-py's
`gguf.quants.dequantize`. For the types gguf-py can also quantize (Q4_0, Q4_1, Q5_0, Q5_1) its bytes are compared
with llama-quantize's and the result recorded.

Run: PYTHONPATH=<llama.cpp>/gguf-py /usr/bin/python3 make_quant_vectors.py <llama.cpp>/bin/llama-quantize
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

try:
    import sentencepiece  # noqa: F401  (gguf-py imports it for vocabularies, which this script does not use)
except ImportError:
    import types
    stub = types.ModuleType("sentencepiece")
    stub.SentencePieceProcessor = None
    sys.modules["sentencepiece"] = stub
import gguf

LLAMA_CPP_COMMIT = "c392e5094deaf2d1a7c18683214f007fad3fe42b"
ROW = 256   # one K-quant super-block; eight 32-element blocks of the legacy types
ROWS = 4

# llama-quantize type name (with --pure every 2-D weight gets that file type's base type) -> ggml type.
TYPES = [
    ("Q4_0", "Q4_0", gguf.GGMLQuantizationType.Q4_0),
    ("Q4_1", "Q4_1", gguf.GGMLQuantizationType.Q4_1),
    ("Q5_0", "Q5_0", gguf.GGMLQuantizationType.Q5_0),
    ("Q5_1", "Q5_1", gguf.GGMLQuantizationType.Q5_1),
    ("Q2_K", "Q2_K", gguf.GGMLQuantizationType.Q2_K),
    ("Q3_K", "Q3_K_M", gguf.GGMLQuantizationType.Q3_K),
    ("Q4_K", "Q4_K_M", gguf.GGMLQuantizationType.Q4_K),
    ("Q5_K", "Q5_K_M", gguf.GGMLQuantizationType.Q5_K),
    ("Q6_K", "Q6_K", gguf.GGMLQuantizationType.Q6_K),
]


def make_rows(rng: np.random.Generator) -> np.ndarray:
    rows = np.zeros((ROWS, ROW), dtype=np.float32)
    # Row 0: normal values whose scale changes every 32 elements (10^-3 .. 10^2), one all-zero 32-block and a few
    # isolated zeros.
    scales = 10.0 ** rng.uniform(-3, 2, size=ROW // 32)
    rows[0] = (rng.standard_normal(ROW) * np.repeat(scales, 32)).astype(np.float32)
    rows[0, 64:96] = 0
    rows[0, rng.choice(ROW, 6, replace=False)] = 0
    # Row 1: negative only.
    rows[1] = (-np.abs(rng.standard_normal(ROW)) * 0.05).astype(np.float32)
    # Row 2: small values with a few outliers 30-100 times larger, of both signs.
    rows[2] = (rng.standard_normal(ROW) * 0.02).astype(np.float32)
    idx = rng.choice(ROW, 5, replace=False)
    rows[2, idx] = (rng.uniform(0.6, 2.0, size=5) * rng.choice([-1, 1], size=5)).astype(np.float32)
    # Row 3: positive-only uniform values, a 16-element group of tiny values (a half-precision scale underflows),
    # then zeros.
    rows[3, :128] = rng.uniform(0, 3, size=128).astype(np.float32)
    rows[3, 128:144] = (rng.standard_normal(16) * 1e-9).astype(np.float32)
    return rows


def write_f32_model(path: str, rows: np.ndarray) -> None:
    w = gguf.GGUFWriter(path, "llama")
    w.add_block_count(1)
    w.add_context_length(64)
    w.add_embedding_length(ROW)
    w.add_feed_forward_length(ROW)
    w.add_head_count(1)
    w.add_head_count_kv(1)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tensor("vectors.weight", rows)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def main() -> None:
    quantize = sys.argv[1]
    out_dir = os.path.dirname(os.path.abspath(__file__))
    for seed, (name, ftype, qtype) in enumerate(TYPES, start=101):
        rows = make_rows(np.random.default_rng(seed))
        with tempfile.TemporaryDirectory() as tmp:
            src, dst = os.path.join(tmp, "f32.gguf"), os.path.join(tmp, "q.gguf")
            write_f32_model(src, rows)
            subprocess.run([quantize, "--pure", src, dst, ftype, "1"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            reader = gguf.GGUFReader(dst)
            tensor = next(t for t in reader.tensors if t.name == "vectors.weight")
            assert tensor.tensor_type == qtype, (name, tensor.tensor_type)
            blocks = np.array(tensor.data, dtype=np.uint8).reshape(ROWS, -1)
        dequantized = gguf.quants.dequantize(blocks, qtype).astype(np.float32)
        record = {
            "type": name,
            "rows": ROWS,
            "rowLength": ROW,
            "quantizedBy": f"llama-quantize --pure ({ftype}) at llama.cpp {LLAMA_CPP_COMMIT[:9]}",
            "dequantizedBy": "gguf-py gguf.quants.dequantize at the same commit",
            "inputF32": b64(rows.astype("<f4")),
            "blocks": b64(blocks),
            "dequantizedF32": b64(dequantized.astype("<f4")),
        }
        try:
            ours = gguf.quants.quantize(rows, qtype)
            record["ggufPyQuantizeAgrees"] = bool(np.array_equal(ours.reshape(blocks.shape), blocks))
        except NotImplementedError:
            record["ggufPyQuantizeAgrees"] = None  # gguf-py has no quantizer for this type
        with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
            json.dump(record, f, indent=1)
            f.write("\n")
        print(name, blocks.shape, "gguf-py quantize agrees:", record["ggufPyQuantizeAgrees"])


if __name__ == "__main__":
    main()
