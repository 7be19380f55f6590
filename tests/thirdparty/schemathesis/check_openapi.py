"""Checks that every OpenAPI file under docs/openapi/ is one a third-party client can load.

A client reads these files as the contract: a file that does not parse, or a `$ref` that points
nowhere, breaks every generated client and test tool at once. This loads each file the way
schemathesis does, then follows every local `$ref` and requires each operation to list its
answers. Run by run.sh before the schemathesis run; exits 1 naming each defect.
"""

import sys

import schemathesis
import yaml

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def refs(node, where):
    """Yields (where, ref) for every `$ref` below node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            else:
                yield from refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from refs(value, f"{where}/{i}")


def resolves(document, ref):
    if not ref.startswith("#/"):
        return False
    node = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def check(path):
    defects = []
    try:
        schemathesis.openapi.from_path(path)
        with open(path, encoding="utf-8") as f:
            document = yaml.safe_load(f)
    except Exception as error:  # the loader's own message says what is wrong
        return [f"does not load: {error}"]
    if not str(document.get("openapi", "")).startswith("3."):
        defects.append("no `openapi: 3.x` version")
    for where, ref in refs(document, "#"):
        if not resolves(document, ref):
            defects.append(f"{where}: $ref {ref} points nowhere")
    for route, item in (document.get("paths") or {}).items():
        for method, operation in item.items():
            if method in METHODS and not (operation or {}).get("responses"):
                defects.append(f"{method.upper()} {route}: no responses")
    return defects


def main(paths):
    failed = False
    for path in paths:
        defects = check(path)
        for defect in defects:
            print(f"{path}: {defect}")
        failed |= bool(defects)
        if not defects:
            print(f"{path}: loads, every $ref resolves")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
