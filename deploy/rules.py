"""Rules for the rendered overlays that no schema checks; deploy/check runs this on each rendered overlay.

Usage: rules.py OVERLAY=RENDERED.yaml ...  where OVERLAY is dev, production, or production-tls (production's rules).
Prints each broken rule and exits 1 if there is one.
"""

import sys

import yaml

# The server's defaults, for settings an overlay leaves unset (crates/server/src/config.rs).
DEFAULTS = {"EE_SHUTDOWN_TIMEOUT": "10", "EE_MIGRATE": "true"}
READINESS_SERVICE = "expressentry.v1.DrawService"
UID = 10001

failures = []


def fail(where, message):
    failures.append(f"FAIL {where}: {message}")


def pod_templates(docs):
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def container_env(container, config_maps):
    """The container's environment as the kubelet builds it: envFrom ConfigMaps, then env entries on top."""
    env = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        if ref:
            env.update(config_maps.get(ref["name"], {}))
    for entry in container.get("env", []):
        env[entry["name"]] = entry.get("value", "<from a reference>")
    return env


def check_security(where, docs):
    for name, pod in pod_templates(docs):
        at = f"{where} {name}"
        context = pod.get("securityContext", {})
        if pod.get("automountServiceAccountToken") is not False:
            fail(at, "automountServiceAccountToken must be false")
        for container in pod["containers"]:
            c = container.get("securityContext", {})
            cat = f"{at} container {container['name']}"

            def either(key):
                return c.get(key, context.get(key))

            if either("runAsNonRoot") is not True:
                fail(cat, "runAsNonRoot must be true")
            if either("runAsUser") != UID:
                fail(cat, f"runAsUser must be {UID}, as the image's user")
            if (either("seccompProfile") or {}).get("type") != "RuntimeDefault":
                fail(cat, "seccompProfile must be RuntimeDefault")
            if c.get("readOnlyRootFilesystem") is not True:
                fail(cat, "readOnlyRootFilesystem must be true")
            if c.get("allowPrivilegeEscalation") is not False:
                fail(cat, "allowPrivilegeEscalation must be false")
            if "ALL" not in (c.get("capabilities") or {}).get("drop", []):
                fail(cat, "capabilities must drop ALL")
            if not (container.get("resources") or {}).get("limits"):
                fail(cat, "resources must have limits")
    for doc in docs:
        if doc["kind"] == "ServiceAccount" and doc.get("automountServiceAccountToken") is not False:
            fail(f"{where} ServiceAccount/{doc['metadata']['name']}", "automountServiceAccountToken must be false")


def server(docs, where):
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    if len(deployments) != 1:
        fail(where, f"expected one Deployment, found {len(deployments)}")
        return None, None, {}
    deployment = deployments[0]
    container = next(
        (c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "ee-server"), None
    )
    if container is None:
        fail(where, "the Deployment has no ee-server container")
        return deployment, None, {}
    config_maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    env = {**DEFAULTS, **container_env(container, config_maps)}
    return deployment, container, env


def check_shutdown_and_probes(where, deployment, container, env):
    pod = deployment["spec"]["template"]["spec"]
    grace = pod.get("terminationGracePeriodSeconds", 30)
    sleep = ((container.get("lifecycle") or {}).get("preStop") or {}).get("sleep", {}).get("seconds")
    if sleep is None:
        fail(where, "the ee-server container needs a preStop sleep")
        sleep = 0
    shutdown = float(env["EE_SHUTDOWN_TIMEOUT"])
    if not grace > sleep + shutdown:
        fail(
            where,
            f"terminationGracePeriodSeconds ({grace}) must exceed the preStop sleep ({sleep}) plus "
            f"EE_SHUTDOWN_TIMEOUT ({env['EE_SHUTDOWN_TIMEOUT']})",
        )
    health_port = int(env.get("EE_HEALTH_ADDR", ":0").rsplit(":", 1)[1] or 0)
    probes = [("livenessProbe", ""), ("readinessProbe", READINESS_SERVICE)]
    if "startupProbe" in container:
        probes.append(("startupProbe", ""))
    for probe, service in probes:
        grpc = (container.get(probe) or {}).get("grpc")
        if grpc is None:
            fail(where, f"{probe} must be a native gRPC probe")
            continue
        if grpc.get("service", "") != service:
            fail(where, f"{probe} must ask for service {service!r}, not {grpc.get('service', '')!r}")
        if grpc.get("port") != health_port:
            fail(where, f"{probe} must use the plaintext health port of EE_HEALTH_ADDR ({health_port})")


def hpas_of(docs, deployment):
    return [
        d
        for d in docs
        if d["kind"] == "HorizontalPodAutoscaler"
        and d["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    ]


def database_volume_is_a_claim(deployment, container, path):
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"].get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        if path.startswith(mount["mountPath"].rstrip("/") + "/"):
            return "persistentVolumeClaim" in volumes.get(mount["name"], {})
    return False


def check_dev(where, docs):
    deployment, container, env = server(docs, where)
    if container is None:
        return
    check_shutdown_and_probes(where, deployment, container, env)
    if deployment["spec"].get("replicas", 1) != 1:
        fail(where, f"SQLite allows one replica, not {deployment['spec'].get('replicas')}")
    if deployment["spec"].get("strategy", {}).get("type") != "Recreate":
        fail(where, "on SQLite the strategy must be Recreate: two pods must never open the file at once")
    for hpa in hpas_of(docs, deployment):
        fail(where, f"HorizontalPodAutoscaler/{hpa['metadata']['name']} would scale a SQLite server")
    url = env.get("EE_DATABASE_URL", "")
    if not url.startswith("sqlite://"):
        fail(where, f"the dev overlay runs on SQLite, not {url or 'an unset EE_DATABASE_URL'}")
    elif not database_volume_is_a_claim(deployment, container, url.removeprefix("sqlite://")):
        fail(where, f"the SQLite file {url} must be on a PersistentVolumeClaim")
    if env.get("EE_MIGRATE") != "true" and not any(d["kind"] == "Job" for d in docs):
        fail(where, "nothing migrates: EE_MIGRATE is false and there is no migration Job")


def check_production(where, docs):
    deployment, container, env = server(docs, where)
    if container is None:
        return
    check_shutdown_and_probes(where, deployment, container, env)
    replicas = deployment["spec"].get("replicas", 1)
    if replicas < 3:
        fail(where, f"production runs at least 3 replicas, not {replicas}")
    for hpa in hpas_of(docs, deployment):
        if hpa["spec"].get("minReplicas", 1) < 3:
            fail(where, f"the HPA's minReplicas ({hpa['spec'].get('minReplicas', 1)}) must be at least 3")
    strategy = deployment["spec"].get("strategy", {})
    if strategy.get("type", "RollingUpdate") != "RollingUpdate" or strategy.get("rollingUpdate", {}).get(
        "maxUnavailable"
    ) != 0:
        fail(where, "production rolls out with maxUnavailable 0")
    if env.get("EE_DATABASE_URL", "").startswith("sqlite") or "EE_DATABASE_URL_FILE" not in env:
        fail(where, "production reads a PostgreSQL URL from EE_DATABASE_URL_FILE (a Secret), not SQLite")
    if env.get("EE_MIGRATE") != "false":
        fail(where, "serve must not migrate in production (EE_MIGRATE=false): the Job does")
    jobs = [
        d
        for d in docs
        if d["kind"] == "Job" and any("migrate" in c.get("args", []) for c in d["spec"]["template"]["spec"]["containers"])
    ]
    if not jobs:
        fail(where, "production needs the migration Job (ee-server migrate)")
    annotations = deployment["spec"]["template"]["metadata"].get("annotations", {})
    if annotations.get("prometheus.io/scrape") != "true" or annotations.get("prometheus.io/port") != env.get(
        "EE_METRICS_ADDR", ":"
    ).rsplit(":", 1)[1]:
        fail(where, "the pods need Prometheus scrape annotations on the EE_METRICS_ADDR port")


def main(arguments):
    if not arguments:
        sys.exit(__doc__)
    for argument in arguments:
        overlay, path = argument.split("=", 1)
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        where = f"overlay {overlay}"
        check_security(where, docs)
        if overlay == "dev":
            check_dev(where, docs)
        elif overlay.startswith("production"):
            check_production(where, docs)
        else:
            sys.exit(f"unknown overlay {overlay}")
    for line in failures:
        print(line)
    if failures:
        sys.exit(1)
    print(f"rules: {len(arguments)} overlays pass")


if __name__ == "__main__":
    main(sys.argv[1:])
