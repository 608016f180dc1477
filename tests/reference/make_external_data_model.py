"""An ONNX model whose weights live in an external data file, as large PyTorch exports save
them (`model.onnx` + `model.onnx.data`): the logit fixture (a MatMul on the holdout's 8
features giving two logits) re-saved with onnx's own external-data writer, its weight
initializer moved out of the graph.

Run from the repository root (needs `pip install onnx`):
    python3 tests/reference/make_external_data_model.py
Writes tests/fixtures/models/external/logits.onnx + logits.onnx.data, and a zip bundle
external.zip holding model.onnx + model.onnx.data + bundle.toml under one folder.
"""
import copy
import os
import zipfile

import onnx
from onnx import numpy_helper

OUT = "tests/fixtures/models/external"
os.makedirs(OUT, exist_ok=True)
m = onnx.load("tests/fixtures/models/logits.onnx")
# only raw_data tensors can move out: store the weights as raw bytes first
for i, t in enumerate(m.graph.initializer):
    m.graph.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t), t.name))
bundle_model = copy.deepcopy(m)  # save_model moves the weights out of the model it is given
onnx.save_model(m, f"{OUT}/logits.onnx", save_as_external_data=True,
                all_tensors_to_one_file=True, location="logits.onnx.data", size_threshold=0)
# the same model as a zip bundle with its external data beside it
tmp = f"{OUT}/_bundle"
os.makedirs(tmp, exist_ok=True)
onnx.save_model(bundle_model, f"{tmp}/model.onnx", save_as_external_data=True,
                all_tensors_to_one_file=True, location="model.onnx.data", size_threshold=0)
with zipfile.ZipFile(f"{OUT}/external.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for name in ["model.onnx", "model.onnx.data"]:
        info = zipfile.ZipInfo(f"external/{name}", date_time=(2025, 12, 13, 0, 0, 0))
        z.writestr(info, open(f"{tmp}/{name}", "rb").read())
    info = zipfile.ZipInfo("external/bundle.toml", date_time=(2025, 12, 13, 0, 0, 0))
    z.writestr(info, 'name = "logits_external"\n')
for name in ["model.onnx", "model.onnx.data"]:
    os.remove(f"{tmp}/{name}")
os.rmdir(tmp)
