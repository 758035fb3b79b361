"""Dev step (never run by the tests): pyhf's own readxml and fit on the XML fixtures.

Writes expected/<case>.json = {"workspace": pyhf's xml2json output, "fit": pyhf's MLE} and
expected/<case>.xml2json.txt, the text `pyhf xml2json` prints.
pyhf runs from source (the git archive of scikit-hep/pyhf's src/, PYTHONPATH=<src>) with numpy,
scipy, jsonschema, jsonpatch, click, pyyaml. uproot and rich are not available here, so small
stand-ins are installed below: `rich` as no-ops (progress bars only) and `uproot` reading
histograms.json (from dump_histograms.ts) and reproducing uproot's TH1 `to_numpy`, `weighted`
and `variances` with the numpy dtype of each TH1 class, which is what pyhf's readxml calls.
Run from the repo root:
  deno run -A tests/stats/data/xml/reference/dump_histograms.ts
  PYTHONPATH=/tmp/pyhf/src python3 tests/stats/data/xml/reference/make_reference.py
"""

import json
import sys
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent
DUMP = json.loads((HERE / "histograms.json").read_text())
DTYPES = {"TH1F": np.float32, "TH1D": np.float64, "TH1I": np.int32, "TH1S": np.int16, "TH1C": np.int8}


class Hist:
    def __init__(self, d):
        self.d = d
        self.cells = np.asarray(d["cells"], dtype=DTYPES[d["class"]])

    def to_numpy(self):
        return self.cells[1:-1], np.arange(len(self.cells) - 1, dtype=np.float64)

    @property
    def weighted(self):
        return len(self.d["sumw2"]) > 0 and len(self.d["sumw2"]) == self.d["ncells"]

    def variances(self):
        sumw2 = np.asarray(self.d["sumw2"], dtype=np.float64)
        out = np.zeros(len(self.cells), dtype=np.float64)
        out[sumw2 > 0] = sumw2[sumw2 > 0]
        return out[1:-1]


class File:
    def __init__(self, path):
        rel = str(Path(path).resolve().relative_to(FIXTURES))
        self.hists = DUMP[rel]

    def keys(self, cycle=False):
        return list(self.hists)

    def __getitem__(self, key):
        d = self.hists[key]
        if d["class"] == "TDirectory":
            raise TypeError(f"{key} is a directory")
        return Hist(d)

    def close(self):
        pass


uproot = types.ModuleType("uproot")
uproot.open = File
uproot.behaviors = types.SimpleNamespace(TH1=types.SimpleNamespace(TH1=Hist))
sys.modules["uproot"] = uproot
rich = types.ModuleType("rich")
for sub, names in {
    "console": ["Console"],
    "progress": ["BarColumn", "Progress", "SpinnerColumn", "TaskProgressColumn", "TextColumn", "TimeElapsedColumn"],
}.items():
    m = types.ModuleType(f"rich.{sub}")
    for n in names:
        setattr(m, n, type(n, (), {"__init__": lambda self, *a, **k: None}))
    sys.modules[f"rich.{sub}"] = m
sys.modules["rich"] = rich

import pyhf  # noqa: E402
import pyhf.readxml  # noqa: E402

pyhf.set_backend(pyhf.tensor.numpy_backend(precision="64b"), pyhf.optimize.scipy_optimizer(tolerance=1e-12))

CASES = {
    "xmlimport_input": ("xmlimport_input/config/example.xml", "xmlimport_input"),
    "xmlimport_input_DataDriven": ("xmlimport_input/config/examples/example_DataDriven.xml", "xmlimport_input"),
    "xmlimport_input2": ("xmlimport_input2/config/example.xml", "xmlimport_input2"),
    "xmlimport_input3": ("xmlimport_input3/config/examples/example_ShapeSys.xml", "xmlimport_input3"),
    "xmlimport_input4": ("xmlimport_input4/config/example.xml", "xmlimport_input4"),
}
(HERE.parent / "expected").mkdir(exist_ok=True)
for case, (config, rootdir) in CASES.items():
    ws_spec = pyhf.readxml.parse(FIXTURES / config, FIXTURES / rootdir)
    ws = pyhf.Workspace(ws_spec)
    model = ws.model()
    data = ws.data(model)
    bestfit, twice_nll = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
    out = {
        "pyhf": pyhf.__version__,
        "config": config,
        "basedir": rootdir,
        "workspace": ws_spec,
        "fit": {
            "measurement": ws.get_measurement()["name"],
            "parameters": model.config.par_order,
            "bestfit": bestfit.tolist(),
            "twice_nll": float(twice_nll),
        },
    }
    (HERE.parent / "expected" / f"{case}.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    # pyhf xml2json's stdout (click.echo adds the newline)
    (HERE.parent / "expected" / f"{case}.xml2json.txt").write_text(json.dumps(ws_spec, indent=4, sort_keys=True) + "\n")
    print(case, model.config.par_order, bestfit.tolist(), float(twice_nll))
