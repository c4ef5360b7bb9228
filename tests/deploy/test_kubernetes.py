"""The kustomize base and overlay: schema-valid manifests, wired to what syncd actually reads."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no type hints
import pytest
import yaml

from syncd.errors import ConfigError
from syncd.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAY = K8S / "overlays" / "example"
K8S_VERSION = kubernetes_validate.latest_version()
SECRET_DIR = "/var/run/secrets/syncd"


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def kustomization(folder: Path) -> dict[str, Any]:
    return documents(folder / "kustomization.yaml")[0]


def manifests(folder: Path) -> list[Path]:
    """Every full resource file of a kustomization (not the kustomization, not its patches)."""
    config = kustomization(folder)
    patches = {folder / p["path"] for p in config.get("patches", [])}
    return sorted(p for p in folder.glob("*.yaml") if p.name != "kustomization.yaml" and p not in patches)


def by_kind(folder: Path) -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for path in manifests(folder) for doc in documents(path)}


@pytest.mark.parametrize("path", manifests(BASE) + manifests(OVERLAY), ids=lambda p: str(p.relative_to(K8S)))
def test_every_manifest_is_valid_against_the_newest_kubernetes_schema_strictly(path: Path) -> None:
    for doc in documents(path):
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_base_kustomization_lists_exactly_the_manifests_in_the_folder() -> None:
    listed = set(kustomization(BASE)["resources"])
    assert listed == {p.name for p in manifests(BASE)}


def test_the_overlay_refers_only_to_files_that_exist() -> None:
    config = kustomization(OVERLAY)
    for resource in config["resources"]:
        assert (OVERLAY / resource).exists(), resource
    for patch in config["patches"]:
        assert (OVERLAY / patch["path"]).is_file(), patch


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with kustomize) is not installed")
def test_the_rendered_overlay_is_valid_and_runs_three_pinned_replicas_in_its_namespace() -> None:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(OVERLAY)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    docs = [doc for doc in yaml.safe_load_all(rendered) if doc]
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    kinds = {doc["kind"]: doc for doc in docs}
    assert {"Namespace", "Deployment", "Job", "Service", "PodDisruptionBudget", "ConfigMap", "Secret"} <= set(
        kinds
    )
    deployment = kinds["Deployment"]
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":0.1.0")
    assert kinds["Job"]["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":0.1.0")
    assert all(doc["metadata"].get("namespace") == "syncd" for doc in docs if doc["kind"] != "Namespace")


def container(doc: dict[str, Any]) -> dict[str, Any]:
    containers = doc["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_pods_run_locked_down_as_uid_10001_with_a_writable_tmp_only(kind: str) -> None:
    doc = by_kind(BASE)[kind]
    pod = doc["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container(doc)["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container(doc)["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]
    assert volumes[mounts["/etc/syncd"]["name"]]["configMap"]["name"] == "syncd-config"
    assert volumes[mounts[SECRET_DIR]["name"]]["secret"]["secretName"] == "syncd"
    assert {r: container(doc)["resources"][r] for r in ("requests", "limits")}


def test_the_daemon_is_probed_on_healthz_readyz_and_exposes_metrics_on_9108() -> None:
    kinds = by_kind(BASE)
    syncd = container(kinds["Deployment"])
    assert syncd["args"] == ["run"]
    assert syncd["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert syncd["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert syncd["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert syncd["ports"][0] == {"name": "metrics", "containerPort": 9108, "protocol": "TCP"}
    service = services(BASE)["syncd-metrics"]["spec"]
    assert service["ports"][0]["name"] == "metrics"
    assert service["ports"][0]["port"] == 9108
    assert service["selector"] == kinds["Deployment"]["spec"]["selector"]["matchLabels"]
    assert kinds["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1
    assert kinds["ServiceAccount"]["automountServiceAccountToken"] is False
    assert container(kinds["Job"])["args"] == ["db", "upgrade"]


def test_the_config_reaches_syncd_through_files_it_reads() -> None:
    kinds = by_kind(BASE)
    for kind in ("Deployment", "Job"):
        env = {e["name"]: e["value"] for e in container(kinds[kind])["env"]}
        assert env["SYNCD_CONFIG"] == "/etc/syncd/syncd.toml"
        assert env["SYNCD_DATABASE_URL_FILE"] == f"{SECRET_DIR}/database-url"
    toml_text = kinds["ConfigMap"]["data"]["syncd.toml"]
    secret_keys = set(kinds["Secret"]["stringData"])
    assert "database-url" in secret_keys
    for line in toml_text.splitlines():
        if line.startswith("token_file"):
            assert line.split('"')[1].removeprefix(f"{SECRET_DIR}/") in secret_keys


def services(folder: Path) -> dict[str, dict[str, Any]]:
    return {
        doc["metadata"]["name"]: doc
        for path in manifests(folder)
        for doc in documents(path)
        if doc["kind"] == "Service"
    }


def test_the_web_page_has_its_port_its_service_and_a_commented_tls_ingress_example() -> None:
    kinds = by_kind(BASE)
    ports = container(kinds["Deployment"])["ports"]
    assert {"name": "web", "containerPort": 8108, "protocol": "TCP"} in ports
    web = services(BASE)["syncd-web"]["spec"]
    assert web["ports"] == [{"name": "web", "port": 8108, "targetPort": "web", "protocol": "TCP"}]
    assert web["selector"] == kinds["Deployment"]["spec"]["selector"]["matchLabels"]
    text = (BASE / "service.yaml").read_text()
    assert "# kind: Ingress" in text
    assert "#   tls:" in text


def load_with_secrets(tmp_path: Path, secrets: dict[str, str]) -> Any:
    """Load the ConfigMap's TOML the way the pod does, with the Secret's keys as files."""
    kinds = by_kind(BASE)
    secret_dir = tmp_path / "secrets"
    secret_dir.mkdir()
    for key, value in secrets.items():
        (secret_dir / key).write_text(value)
    config = tmp_path / "syncd.toml"
    config.write_text(kinds["ConfigMap"]["data"]["syncd.toml"].replace(SECRET_DIR, str(secret_dir)))
    return load_settings(
        {"SYNCD_CONFIG": str(config), "SYNCD_DATABASE_URL_FILE": str(secret_dir / "database-url")}
    )


def test_the_example_secret_is_refused_as_a_placeholder(tmp_path: Path) -> None:
    example = by_kind(BASE)["Secret"]["stringData"]
    with pytest.raises(ConfigError, match="placeholder"):
        load_with_secrets(tmp_path, example)


def test_the_configmap_loads_into_settings_once_real_secrets_are_in_place(tmp_path: Path) -> None:
    example = by_kind(BASE)["Secret"]["stringData"]
    real = {key: "a-real-looking-token-value-123" for key in example if key.startswith("bokio-token")}
    real["database-url"] = "postgresql+psycopg://syncd:pw@db:5432/syncd"
    real["web-session-secret"] = "a-real-looking-session-secret-456"
    settings = load_with_secrets(tmp_path, real)
    assert settings.database_url.get_secret_value().startswith("postgresql+psycopg://")
    assert settings.http_host == "0.0.0.0"  # noqa: S104 - the pod must listen on its IP for probes
    assert settings.http_port == 9108
    assert settings.web.port == 8108
    assert settings.web.session_secret is not None
    assert [c.token.get_secret_value() for c in settings.companies if c.token] == [
        "a-real-looking-token-value-123"
    ]
