#!/usr/bin/env python3
"""Records which type, and which bytes, llama.cpp's `llama-quantize ... Q4_K_M` gives every tensor of three synthetic
models (see README.md), into Q4_K_M-models.json.

The F32 inputs are GqaGen.Synthetic models (SyntheticLlama.Write of the specs listed below with WeightType F32); the
test writes the same specs with WeightType Q4_K and Mix Q4_K_M and compares each tensor's type and SHA-256.

Run: PYTHONPATH=<llama.cpp>/gguf-py /usr/bin/python3 make_q4_k_m_models.py <llama.cpp>/bin/llama-quantize <dir with
     deep.f32.gguf, narrow.f32.gguf, tied.f32.gguf>
"""
import hashlib
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

# SyntheticLlamaSpec fields of the three models, as the test constructs them.
SPECS = {
    "deep": dict(EmbeddingLength=256, Layers=8, Heads=8, KvGroups=2, HeadDim=32, FeedForwardLength=512,
                 TokenizerModel="gpt2", VocabularySize=512, Seed=21, TiedOutput=False),
    "narrow": dict(EmbeddingLength=64, Layers=2, Heads=4, KvGroups=2, HeadDim=16, FeedForwardLength=96,
                   TokenizerModel="gpt2", VocabularySize=384, Seed=11, TiedOutput=False),
    "tied": dict(EmbeddingLength=256, Layers=3, Heads=4, KvGroups=1, HeadDim=64, FeedForwardLength=256,
                 TokenizerModel="llama", VocabularySize=320, Seed=23, TiedOutput=True),
}


def main() -> None:
    quantize, models = sys.argv[1], sys.argv[2]
    out = {"quantizedBy": "llama-quantize <f32.gguf> <out.gguf> Q4_K_M 1 at llama.cpp c392e5094", "models": {}}
    for name, spec in SPECS.items():
        with tempfile.TemporaryDirectory() as tmp:
            dst = os.path.join(tmp, "q.gguf")
            subprocess.run([quantize, os.path.join(models, f"{name}.f32.gguf"), dst, "Q4_K_M", "1"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            reader = gguf.GGUFReader(dst)
            tensors = {}
            for t in reader.tensors:
                data = np.ascontiguousarray(t.data).tobytes()
                tensors[t.name] = {"type": t.tensor_type.name, "sha256": hashlib.sha256(data).hexdigest()}
        out["models"][name] = {"spec": spec, "tensors": tensors}
        print(name, {k: v["type"] for k, v in tensors.items()})
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "Q4_K_M-models.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
