"""Dev tool (never run by the tests): fit an analysis workspace with real pyhf and compare with
zgrad's metrics.json.

pyhf is not installable from the registries this project reaches, so it runs from its source tree
with Debian's Python packages:

  apt-get install -y python3-numpy python3-scipy python3-jsonschema python3-jsonpatch \
      python3-click python3-tqdm python3-yaml python3-rich
  # pyhf's source (scikit-hep/pyhf, src/) in /tmp/pyhf/src, plus a _version.py:
  echo 'version = "src"' > /tmp/pyhf/src/pyhf/_version.py
  PYTHONPATH=/tmp/pyhf/src /usr/bin/python3 tools/pyhf_crosscheck.py outputs/zprime

Prints pyhf's and zgrad's -2 log L, best-fit mu and CLs(mu = 1) side by side.
"""

import json
import sys
from pathlib import Path

import pyhf

out = Path(sys.argv[1] if len(sys.argv) > 1 else "outputs/zprime")
pyhf.set_backend("numpy", pyhf.optimize.scipy_optimizer(tolerance=1e-10))
ws = pyhf.Workspace(json.loads((out / "workspace.json").read_text()))
model = ws.model()
data = ws.data(model)
bestfit, twice_nll = pyhf.infer.mle.fit(data, model, return_fitted_val=True)
cls = pyhf.infer.hypotest(1.0, data, model, test_stat="qtilde")
metrics = json.loads((out / "metrics.json").read_text())
rows = [
    ("-2 log L", float(twice_nll), metrics["fit"]["twice_nll"]),
    ("mu (best fit)", float(bestfit[model.config.poi_index]), metrics["fit"]["bestfit"]["mu"]),
    ("CLs (mu = 1)", float(cls), metrics["hypotest"]["cls_obs"]),
]
print(f"{'':16} {'pyhf':>20} {'zgrad':>20}")
for name, a, b in rows:
    print(f"{name:16} {a:20.12g} {b:20.12g}")
