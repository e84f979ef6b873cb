"""Offline checks of the Helm chart infra/helm/glimpse, without a cluster and without the helm binary.

For each scenario below: `helm lint` and `helm template` through Helm v4's own Go SDK (helm-python-sdk), then
every rendered object validated strictly (unknown fields rejected) against
  - the Kubernetes OpenAPI schemas of the oldest and newest supported releases (kubernetes-validate),
  - KEDA's ScaledObject models generated from its CRDs (cloudcoil-models-keda: types, required fields, and
    field names, made strict here),
  - a schema of the CloudNativePG Cluster fields the chart uses (test/helm/schemas, written from CNPG's API
    reference, because no registry ships CNPG's CRD),
then checkov's Kubernetes policies, and the chart's own invariants (every pod hardened, probed, limited, under a
PodDisruptionBudget and a NetworkPolicy; the NATS subchart's values wired to the Secret and ConfigMap this
chart renders). Charts that fail to render with bad values must fail with the right message.

The NATS subchart is not rendered (its repository cannot be reached here): its values are checked only for
consistency with this chart. Usage: test/helm/.venv/bin/python infra/helm/check.py [OUT_DIR]
Exit status 0 when every check passed; every failure is printed as `FAIL <scenario>: <what>`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import helm_python as helm
import jsonschema
import kubernetes_validate
import yaml
from cloudcoil.models.keda.v1alpha1 import ScaledObject

ROOT = Path(__file__).resolve().parents[2]
# GLIMPSE_HELM_CHART: another copy of the chart (test/integration/helm.test.ts checks that a broken one fails).
CHART = Path(os.environ.get("GLIMPSE_HELM_CHART") or ROOT / "infra" / "helm" / "glimpse")
SCHEMAS = ROOT / "test" / "helm" / "schemas"
# kubeVersion in Chart.yaml says >=1.27; the newest kubernetes-validate knows is checked too.
KUBE_VERSIONS = ["1.27.0", kubernetes_validate.latest_version()]
NAMESPACE = "glimpse"
# Policies this chart does not meet on purpose, each with the reason (checkov ids).
CHECKOV_SKIPS = {
    "CKV_K8S_43": "images by tag, not digest: the operator pins digests when they publish images",
    "CKV_K8S_35": "secrets as environment variables: the services read their configuration from the environment",
    "CKV_K8S_15": "imagePullPolicy IfNotPresent with versioned tags is deliberate (values image.pullPolicy)",
}

failures: list[str] = []


def fail(scenario: str, what: str) -> None:
    failures.append(f"{scenario}: {what}")
    print(f"FAIL {scenario}: {what}", flush=True)


def secrets() -> dict[str, str]:
    keys = ["sessionSecret", "adminApiKey", "cropKey", "natsGatewayPassword", "natsCapturePassword",
            "natsRecognizerPassword", "natsMatcherPassword", "natsEventsPassword", "databasePassword"]
    return {k: f"p{k.lower()}0123456789abcdef0123456789" for k in keys}


SCENARIOS: dict[str, dict] = {
    "default": {"secrets": secrets()},
    "gpu-pool": {"secrets": secrets(), "recognizer": {"gpu": {"enabled": True, "autoscaling": {"enabled": True}}}},
    "external-db": {
        "secrets": {"create": False},
        "postgres": {"enabled": False},
        "externalDatabase": {"existingSecret": "my-postgres"},
        "recognizer": {"autoscaling": {"enabled": False}},
        "gateway": {"uploadsClaim": "glimpse-uploads", "ingressFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]},
    },
}

# Values that must not render, and a fragment of the message Helm must give.
MUST_FAIL: dict[str, tuple[dict, str]] = {
    "no-secrets": ({}, "secrets.sessionSecret"),
    "nats-password-starting-with-a-digit": ({"secrets": {**secrets(), "natsMatcherPassword": "3" + "a" * 30}}, "secrets.natsMatcherPassword must start with a letter"),
    "no-database": ({"secrets": secrets(), "postgres": {"enabled": False}}, "the matcher needs Postgres"),
}


def render(values: dict) -> dict[str, str]:
    with helm.Chart.load(str(CHART)) as chart:
        return chart.render(values, name="glimpse", namespace=NAMESPACE, is_install=True)


def documents(rendered: dict[str, str]) -> list[dict]:
    out = []
    for path, text in rendered.items():
        if not path.endswith("NOTES.txt"):
            out.extend(d for d in yaml.safe_load_all(text) if d)
    return out


def validate_builtin(scenario: str, doc: dict) -> None:
    for version in KUBE_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as err:
            fail(scenario, f"{doc['kind']}/{doc['metadata']['name']} is invalid for Kubernetes {version}: {err.message} at {list(err.path)}")
        except kubernetes_validate.SchemaNotFoundError:
            fail(scenario, f"{doc['apiVersion']} {doc['kind']} does not exist in Kubernetes {version}")


def strict_schema(schema: dict) -> dict:
    """The pydantic model's JSON schema with unknown fields rejected (pydantic ignores them)."""
    def walk(node):
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(schema)
    return schema


SCALED_OBJECT_SCHEMA = strict_schema(ScaledObject.model_json_schema(by_alias=True, mode="validation"))
CNPG_CLUSTER_SCHEMA = json.loads((SCHEMAS / "cnpg-cluster-v1.subset.json").read_text())


def validate_custom(scenario: str, doc: dict) -> None:
    name = f"{doc['kind']}/{doc['metadata']['name']}"
    if doc["apiVersion"] == "keda.sh/v1alpha1" and doc["kind"] == "ScaledObject":
        try:
            ScaledObject.model_validate(doc)
        except Exception as err:  # pydantic.ValidationError: wrong types, missing required fields
            fail(scenario, f"{name} does not match KEDA's model: {err}")
        for err in jsonschema.Draft202012Validator(SCALED_OBJECT_SCHEMA).iter_errors(doc):
            fail(scenario, f"{name}: {err.message} at {list(err.path)}")
        trigger = doc["spec"]["triggers"][0]
        if trigger["type"] != "prometheus" or not {"serverAddress", "query", "threshold"} <= trigger["metadata"].keys():
            fail(scenario, f"{name}: the prometheus trigger needs serverAddress, query and threshold")
    elif doc["apiVersion"] == "postgresql.cnpg.io/v1" and doc["kind"] == "Cluster":
        for err in jsonschema.Draft202012Validator(CNPG_CLUSTER_SCHEMA).iter_errors(doc):
            fail(scenario, f"{name}: {err.message} at {list(err.path)}")
    else:
        fail(scenario, f"{doc['apiVersion']} {doc['kind']}: no schema to validate it against")


def pods(docs: list[dict]) -> list[dict]:
    return [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def check_invariants(scenario: str, docs: list[dict], values: dict) -> None:
    by_kind = lambda kind: [d for d in docs if d["kind"] == kind]  # noqa: E731
    pdbs, policies = by_kind("PodDisruptionBudget"), by_kind("NetworkPolicy")
    network = values.get("networkPolicy", {}).get("enabled", True)
    for workload in pods(docs):
        name = workload["metadata"]["name"]
        spec = workload["spec"]["template"]["spec"]
        labels = workload["spec"]["template"]["metadata"]["labels"]
        if not spec.get("securityContext", {}).get("runAsNonRoot"):
            fail(scenario, f"{name}: pod may run as root")
        if spec.get("automountServiceAccountToken") is not False:
            fail(scenario, f"{name}: mounts a service account token it does not need")
        for c in spec["containers"]:
            sc = c.get("securityContext", {})
            if not (sc.get("readOnlyRootFilesystem") and sc.get("allowPrivilegeEscalation") is False and sc.get("capabilities", {}).get("drop") == ["ALL"]):
                fail(scenario, f"{name}/{c['name']}: not read-only, non-escalating, with every capability dropped")
            if not (c.get("livenessProbe") and c.get("readinessProbe")):
                fail(scenario, f"{name}/{c['name']}: no liveness and readiness probe")
            if not (c.get("resources", {}).get("requests") and c.get("resources", {}).get("limits", {}).get("memory")):
                fail(scenario, f"{name}/{c['name']}: no resource requests and memory limit")
        if not any(selects(p["spec"]["selector"], labels) for p in pdbs):
            fail(scenario, f"{name}: no PodDisruptionBudget")
        if network and not any(selects(p["spec"]["podSelector"], labels) for p in policies):
            fail(scenario, f"{name}: no NetworkPolicy")
        env = {e["name"]: e for c in spec["containers"] for e in c.get("env", [])}
        if "NATS_URL" in env:
            urls = env["NATS_URL"]["value"].split(",")
            if len(urls) != 3 or not all(u.startswith("nats://glimpse-nats-") for u in urls):
                fail(scenario, f"{name}: NATS_URL should list the three NATS nodes, got {urls}")
            if env.get("NATS_REPLICAS", {}).get("value") != "3":
                fail(scenario, f"{name}: NATS_REPLICAS should be 3")

    # The privacy settings are one fact, the matcher's (the gateway asks it): set there, from values.
    matcher = [w for w in pods(docs) if w["metadata"]["name"] == "glimpse-matcher"]
    for w in matcher:
        env = {e["name"]: e.get("value") for c in w["spec"]["template"]["spec"]["containers"] for e in c.get("env", [])}
        for var in ("BLUR_UNKNOWN", "RECOGNITION_MODE"):
            if var not in env:
                fail(scenario, f"glimpse-matcher: {var} is not set (matcher.env)")

    # The audit trail is sealed only when infra/postgres/init/20-audit-owner.sql ran as the superuser.
    audit_owner = (ROOT / "infra" / "postgres" / "init" / "20-audit-owner.sql").read_text()
    for cluster in by_kind("Cluster"):
        post_init = cluster["spec"].get("bootstrap", {}).get("initdb", {}).get("postInitApplicationSQL", [])
        if audit_owner not in post_init:
            fail(scenario, "Cluster/glimpse-db: postInitApplicationSQL does not run infra/postgres/init/20-audit-owner.sql (the audit trail stays unsealed)")

    gpu = [w for w in pods(docs) if w["metadata"]["name"] == "glimpse-recognizer-gpu"]
    if values.get("recognizer", {}).get("gpu", {}).get("enabled"):
        if not gpu:
            fail(scenario, "recognizer.gpu.enabled renders no GPU recognizer")
        else:
            spec = gpu[0]["spec"]["template"]["spec"]
            worker = next(c for c in spec["containers"] if c["name"] == "worker")
            if worker["resources"]["limits"].get("nvidia.com/gpu") != 1 or not spec.get("tolerations") or not spec.get("nodeSelector"):
                fail(scenario, "the GPU recognizer lacks nvidia.com/gpu limits, tolerations or a nodeSelector")
            if "gpu" not in worker["image"]:
                fail(scenario, f"the GPU worker runs {worker['image']}, not the Dockerfile.gpu image")
    elif gpu:
        fail(scenario, "a GPU recognizer without recognizer.gpu.enabled")

    # The NATS subchart is not rendered here: its values must at least point at what this chart renders.
    merged = yaml.safe_load((CHART / "values.yaml").read_text())["nats"]
    secret_keys = set(secrets())
    for var, ref in merged["container"]["env"].items():
        key = ref["valueFrom"]["secretKeyRef"]
        if key["name"] != "glimpse-secrets" or key["key"] not in secret_keys:
            fail(scenario, f"nats.container.env.{var} refers to {key}, which this chart does not create")
    auth = [d for d in by_kind("ConfigMap") if d["metadata"]["name"] == "glimpse-nats-auth"]
    volume = merged["podTemplate"]["patch"][0]["value"]
    if values.get("nats", {}).get("enabled", True):
        if not auth or volume["configMap"]["name"] != "glimpse-nats-auth":
            fail(scenario, "the NATS pods would mount a ConfigMap this chart does not render")
        else:
            conf = auth[0]["data"]["auth.conf"]
            for user in ["gateway", "capture", "recognizer", "matcher", "events"]:
                if f"password: $GLIMPSE_NATS_{user.upper()}_PASSWORD" not in conf:
                    fail(scenario, f"the NATS authorization block has no user {user}")
            include = merged["config"]["merge"]["$include"]
            mount = merged["container"]["patch"][0]["value"]["mountPath"]
            if os.path.normpath(os.path.join("/etc/nats-config", include)) != f"{mount}/auth.conf":
                fail(scenario, f"nats.config.merge.$include {include} is not the mounted {mount}/auth.conf")


def run_checkov(scenario: str, out: Path) -> None:
    report = out / "checkov.json"
    cmd = [str(Path(sys.executable).parent / "checkov"), "--directory", str(out / "manifests"), "--framework", "kubernetes",
           "--output", "json", "--quiet", "--compact", "--skip-download", "--skip-check", ",".join(CHECKOV_SKIPS)]
    # Offline: no platform key, no version check, no download of policies.
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_NO_UPDATE_CHECK": "1", "LOG_LEVEL": "WARNING"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    report.write_text(proc.stdout)
    try:
        data = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        fail(scenario, f"checkov did not run: {proc.stderr[-2000:]}")
        return
    data = (data[0] if isinstance(data, list) else data) or {}
    failed = data.get("results", {}).get("failed_checks", [])
    passed = data.get("summary", {}).get("passed", 0)
    for f in failed:
        fail(scenario, f"checkov {f['check_id']} {f['check_name']}: {f['resource']}")
    print(f"HELM {scenario} checkov passed={passed} failed={len(failed)} skipped={len(CHECKOV_SKIPS)}", flush=True)
    if passed == 0:
        fail(scenario, "checkov checked nothing")


def main() -> int:
    out_root = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "test-artifacts" / "helm"
    print(f"HELM sdk {helm.helm_sdk_version()} kubernetes {','.join(KUBE_VERSIONS)}", flush=True)
    for scenario, values in SCENARIOS.items():
        lint = helm.lint(str(CHART), values, strict=True, namespace=NAMESPACE)
        for m in lint.get("messages", []):
            # The NATS dependency cannot be downloaded here: lint's note about charts/ is expected.
            if m["severity"] >= 2 and "chart directory is missing these dependencies" not in m["error"]:
                fail(scenario, f"helm lint: {m['path']}: {m['error']}")
        try:
            rendered = render(values)
        except Exception as err:  # HelmRenderError
            fail(scenario, f"does not render: {err}")
            continue
        docs = documents(rendered)
        out = out_root / scenario
        (out / "manifests").mkdir(parents=True, exist_ok=True)
        for old in (out / "manifests").glob("*.yaml"):
            old.unlink()
        for i, d in enumerate(docs):
            (out / "manifests" / f"{i:02d}-{d['kind'].lower()}-{d['metadata']['name']}.yaml").write_text(yaml.safe_dump(d, sort_keys=False))
        kinds: dict[str, int] = {}
        for d in docs:
            kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
            if "." in d["apiVersion"].split("/")[0] and not d["apiVersion"].startswith(("apps/", "policy/", "networking.k8s.io/")):
                validate_custom(scenario, d)
            else:
                validate_builtin(scenario, d)
        check_invariants(scenario, docs, values)
        run_checkov(scenario, out)
        print(f"HELM {scenario} rendered {len(docs)} objects: {', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}", flush=True)
    for scenario, (values, message) in MUST_FAIL.items():
        try:
            render(values)
            fail(scenario, "rendered, but must be refused")
        except Exception as err:
            if message not in str(err):
                fail(scenario, f"refused with the wrong message: {err}")
            else:
                print(f"HELM {scenario} refused: {message}", flush=True)
    print(f"HELM {'FAILED' if failures else 'OK'}: {len(failures)} problems", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
