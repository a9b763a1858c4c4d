"""The image catalogue: SageMaker's prebuilt images (built-in algorithms and framework
containers), the versions each accepts, and their URIs per region.

A leaf module: the config's validation and derived defaults (`domain.config`) ask it which
versions exist, and the request layer (`domain.requests.images`, which chooses a run's
images) asks it for URIs; it imports neither. The registry accounts live in the data table
`image_uris.json` (every commercial region, from the SageMaker Python SDK's
`image_uri_config`). Unknown regions, algorithms or versions raise `UnsupportedConfiguration`
naming the value and the valid choices.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from domain.errors import UnsupportedConfiguration

_TABLE = Path(__file__).with_name("image_uris.json")


@cache
def _table() -> dict[str, Any]:
    table: dict[str, Any] = json.loads(_TABLE.read_text())
    return table


def domain_suffix(region: str) -> str:
    """The DNS suffix of the region's partition (China regions differ)."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def algorithms() -> list[str]:
    """The built-in algorithms the AMAZON framework can use."""
    return list(_table()["algorithms"])


def algorithm_versions(algorithm: str) -> list[str]:
    entry = _table()["algorithms"].get(algorithm)
    return list(entry["versions"]) if entry else []


def algorithm_default_version(algorithm: str) -> str | None:
    entry = _table()["algorithms"].get(algorithm)
    return entry["default_version"] if entry else None


def framework_versions(framework: str) -> list[str]:
    """The versions a script-mode framework accepts (short form, e.g. "2.1")."""
    entry = _table()["frameworks"].get(framework)
    return list(entry["versions"]) if entry else []


def _version_entry(framework: str, version: str) -> dict[str, Any] | None:
    entry = _table()["frameworks"].get(framework)
    if entry is None:
        return None
    versions: dict[str, dict[str, Any]] = entry["versions"]
    if version in versions:
        return versions[version]
    return next((v for v in versions.values() if v["full"] == version), None)


def framework_py_versions(framework: str, version: str) -> list[str]:
    """The Python versions of a framework version's images ([] for an unknown version)."""
    found = _version_entry(framework, version)
    return list(found["py"]) if found else []


def processor(instance_type: str) -> str:
    """ "gpu" for the P and G instance families, "cpu" otherwise."""
    family = instance_type.split(".")[1] if instance_type.count(".") >= 2 else ""
    if family.startswith(("inf", "trn")):
        raise UnsupportedConfiguration(
            f"instance type {instance_type} needs AWS Neuron images, which sagebuild does not "
            "resolve; set TrainingImage / InferenceImage to a Neuron image URI"
        )
    return "gpu" if family.startswith(("p", "g")) else "cpu"


def _registry(name: str, region: str, what: str) -> str:
    accounts = _table()["registries"][name]
    if region not in accounts:
        raise UnsupportedConfiguration(
            f"{what} has no SageMaker image in region {region!r}; "
            f"regions: {', '.join(sorted(accounts))}"
        )
    return f"{accounts[region]}.dkr.ecr.{region}.{domain_suffix(region)}"


def algorithm_image(algorithm: str, version: str, region: str) -> str:
    """The URI of a built-in algorithm's image (same for training and hosting)."""
    entry = _table()["algorithms"].get(algorithm)
    if entry is None:
        raise UnsupportedConfiguration(
            f"unknown built-in algorithm {algorithm!r}; algorithms: {', '.join(algorithms())}"
        )
    if version not in entry["versions"]:
        raise UnsupportedConfiguration(
            f"algorithm {algorithm} has no version {version!r}; "
            f"versions: {', '.join(entry['versions'])}"
        )
    host = _registry(entry["registry"], region, f"algorithm {algorithm}")
    return f"{host}/{entry['repository']}:{version}"


def framework_image(
    framework: str, version: str, py_version: str, instance_type: str, region: str, scope: str
) -> str:
    """The URI of a framework's prebuilt image; scope is "training" or "inference"."""
    entry = _table()["frameworks"].get(framework)
    if entry is None:
        raise UnsupportedConfiguration(f"framework {framework!r} has no prebuilt images")
    found = _version_entry(framework, version)
    if found is None:
        raise UnsupportedConfiguration(
            f"{framework} has no version {version!r}; "
            f"versions: {', '.join(framework_versions(framework))}"
        )
    if py_version not in found["py"]:
        raise UnsupportedConfiguration(
            f"{framework} {version} has no image for {py_version!r}; "
            f"Python versions: {', '.join(found['py'])}"
        )
    kind = processor(instance_type)
    if kind not in entry["processors"]:
        kind = "cpu"  # CPU-only frameworks (scikit-learn) run their CPU image on any instance
    tag = entry[f"{scope}_tag"].format(version=found["full"], processor=kind, py=py_version)
    host = _registry(entry["registry"], region, framework)
    return f"{host}/{entry[f'{scope}_repository']}:{tag}"
