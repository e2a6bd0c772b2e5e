"""`kustomize build`, for the few features deploy/kubernetes uses, in plain Python.

No kustomize binary can be installed from the registries this project uses, so the tests
render the manifests with this. It refuses any kustomization field it does not implement,
and `test_kubernetes.py` compares its output with `kubectl kustomize` wherever kubectl is
installed, so the two cannot silently drift apart.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass"}
# Strategic merge: lists of these fields (in built-in kinds) merge item by item on a key.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
}
BUILT_IN_GROUPS = ("v1", "apps/", "batch/", "policy/", "autoscaling/")


class Unsupported(Exception):
    """The kustomization uses something this renderer does not implement."""


def build(directory: Path) -> list[dict[str, Any]]:
    """The objects `kustomize build directory` prints, in the order of the resources."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise Unsupported(f"{directory}: {sorted(unknown)}")

    objects: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        if path.is_dir():
            objects.extend(build(path))
        else:
            objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)

    for patch_entry in kustomization.get("patches", []):
        if set(patch_entry) != {"path"}:
            raise Unsupported(f"{directory}: a patch other than a file: {patch_entry}")
        patch = yaml.safe_load((directory / patch_entry["path"]).read_text())
        target = _find(objects, patch["kind"], patch["metadata"]["name"])
        if patch.get("$patch") == "delete":
            objects.remove(target)
        else:
            merged = _merge(target, patch, built_in=_is_built_in(target))
            objects[objects.index(target)] = merged

    for image in kustomization.get("images", []):
        for obj in objects:
            _set_image(obj, image)

    namespace = kustomization.get("namespace")
    if namespace:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = namespace
    return objects


def _find(objects: list[dict], kind: str, name: str) -> dict:
    for obj in objects:
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return obj
    raise Unsupported(f"a patch for {kind}/{name}, which no resource defines")


def _is_built_in(obj: dict) -> bool:
    return obj["apiVersion"].startswith(BUILT_IN_GROUPS)


def _merge(original: Any, patch: Any, *, built_in: bool, field: str = "") -> Any:
    """Strategic merge: maps merge, null deletes, keyed lists merge, other lists replace."""
    if isinstance(original, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(original)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = _merge(merged[key], value, built_in=built_in, field=key)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    if isinstance(original, list) and isinstance(patch, list) and built_in:
        key = MERGE_KEYS.get(field)
        if key:
            # what kustomize does: the patch's items first, then the untouched ones
            by_key = {item[key]: item for item in original}
            patched = [
                _merge(by_key[item[key]], item, built_in=True) if item[key] in by_key else item
                for item in patch
            ]
            touched = {item[key] for item in patch}
            return patched + [item for item in original if item[key] not in touched]
    return copy.deepcopy(patch)


def _set_image(obj: dict, image: dict) -> None:
    pod = obj.get("spec", {}).get("template", {}).get("spec", {})
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        reference = container["image"].split("@")[0]
        name, _, tag = reference.rpartition(":")
        if not name or "/" in tag:  # "registry:5000/app" has a port, not a tag
            name = reference
        if name == image["name"]:
            new_name = image.get("newName", name)
            new_tag = image.get("newTag")
            container["image"] = f"{new_name}:{new_tag}" if new_tag else new_name
