"""Writes the OpenAPI document each app emits to specs/<app>.json: the
specs the generator's FastAPI fixtures are made from. The test suite checks
that a running app still serves exactly this document."""

import importlib
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE / "apps"))

for path in sorted((HERE / "apps").glob("*.py")):
    app = importlib.import_module(path.stem).app
    target = HERE / "specs" / f"{path.stem}.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {target.relative_to(HERE.parent.parent)}")
