#!/usr/bin/env bash
# Offline validation of deploy/ (run by CI): Prometheus rules (promtool check + unit tests),
# the compose file, Grafana dashboards and provisioning, the Kubernetes manifests rendered
# with kustomize and checked for what the workers need (and for no default credential, no
# published internal port, a NetworkPolicy per worker), the Dockerfile, and every metric the rules and dashboards use against
# docs/metrics.md and a worker's registry. Exits non-zero on any real problem; a check whose
# tool is missing is skipped with a message (under CI=true a missing promtool fails).
set -uo pipefail
cd "$(dirname "$0")/.."

failed=0
ran=0
skipped=0
ok()   { ran=$((ran + 1)); echo "  ok    $1"; }
bad()  { ran=$((ran + 1)); failed=$((failed + 1)); echo "  FAIL  $1"; }
skip() { skipped=$((skipped + 1)); echo "  skip  $1"; }
have() { command -v "$1" >/dev/null 2>&1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

PY=""
if have python3 && python3 -c 'import yaml' 2>/dev/null; then PY=python3; fi

echo "deploy/check: validating deploy/ offline"

# --- Prometheus rules ---------------------------------------------------------------------
if ! have promtool && [ "$(id -u)" = 0 ] && have apt-get; then
  echo "  (installing promtool: apt-get install prometheus)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; } >"$tmp/apt.log" 2>&1 \
    || { echo "  apt-get failed:"; tail -5 "$tmp/apt.log"; }
fi
if have promtool; then
  if promtool check rules deploy/prometheus/rules.yml >"$tmp/out" 2>&1; then ok "promtool check rules deploy/prometheus/rules.yml"
  else bad "promtool check rules deploy/prometheus/rules.yml"; sed 's/^/        /' "$tmp/out"; fi
  if promtool test rules deploy/prometheus/rules.test.yml >"$tmp/out" 2>&1; then ok "promtool test rules deploy/prometheus/rules.test.yml"
  else bad "promtool test rules deploy/prometheus/rules.test.yml"; sed 's/^/        /' "$tmp/out"; fi
  # The compose config names the rules by their path in the container; check it against ours.
  sed "s#/etc/prometheus/rules.yml#$PWD/deploy/prometheus/rules.yml#" deploy/prometheus/prometheus.yml >"$tmp/prometheus.yml"
  if promtool check config "$tmp/prometheus.yml" >"$tmp/out" 2>&1; then ok "promtool check config deploy/prometheus/prometheus.yml"
  else bad "promtool check config deploy/prometheus/prometheus.yml"; sed 's/^/        /' "$tmp/out"; fi
elif [ "${CI:-}" = true ]; then
  bad "promtool not found and could not be installed (Debian package prometheus)"
else
  skip "promtool not found: apt-get install prometheus (as root) to check the rules"
fi

# --- Grafana dashboards and provisioning ----------------------------------------------------
if node - deploy/grafana/dashboards >"$tmp/out" 2>&1 <<'EOF'
const fs = require('node:fs'); const path = require('node:path');
const dir = process.argv[2]; const problems = []; const uids = new Set();
const known = new Set(['prometheus', 'clickhouse']);
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  let d;
  try { d = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')); } catch (e) { problems.push(`${f}: not valid JSON: ${e.message}`); continue; }
  if (!d.uid || uids.has(d.uid)) problems.push(`${f}: missing or duplicate uid`); uids.add(d.uid);
  if (!d.title || !Array.isArray(d.panels) || !d.panels.length) problems.push(`${f}: needs a title and panels`);
  const ids = new Set();
  for (const p of d.panels ?? []) {
    if (ids.has(p.id)) problems.push(`${f}: duplicate panel id ${p.id}`); ids.add(p.id);
    if (p.type === 'row') continue;
    if (!p.gridPos || p.gridPos.x + p.gridPos.w > 24) problems.push(`${f}: panel "${p.title}" has a bad gridPos`);
    for (const t of p.targets ?? []) {
      const uid = t.datasource?.uid ?? p.datasource?.uid;
      if (!known.has(uid)) problems.push(`${f}: panel "${p.title}" uses unknown datasource ${uid}`);
      if (uid === 'prometheus' && !t.expr) problems.push(`${f}: panel "${p.title}" has a Prometheus target without expr`);
      if (uid === 'clickhouse' && !t.rawSql) problems.push(`${f}: panel "${p.title}" has a ClickHouse target without rawSql`);
    }
  }
}
if (problems.length) { console.log(problems.join('\n')); process.exit(1); }
EOF
then ok "Grafana dashboards parse, panels and data sources consistent"
else bad "Grafana dashboards"; sed 's/^/        /' "$tmp/out"; fi

# --- YAML: compose, Grafana provisioning, Kubernetes sources -----------------------------------
if [ -n "$PY" ]; then
  if $PY - >"$tmp/out" 2>&1 <<'EOF'
import glob, os, sys, yaml
problems = []
def load(p):
    try:
        with open(p) as f: return list(yaml.safe_load_all(f))
    except Exception as e:
        problems.append(f"{p}: {e}"); return []
files = ["deploy/compose/compose.yaml", "deploy/prometheus/prometheus.yml", *glob.glob("deploy/grafana/provisioning/*/*.yaml"), *glob.glob("deploy/k8s/*.yaml")]
docs = {p: load(p) for p in files}
c = (docs.get("deploy/compose/compose.yaml") or [None])[0] or {}
services = c.get("services", {})
for name in ["kafka", "clickhouse", "prometheus", "grafana", "ingest", "process", "sink", "serve"]:
    if name not in services: problems.append(f"compose: service {name} missing")
for name in ["ingest", "process", "sink", "serve"]:
    s = services.get(name, {})
    if s.get("command") != [name]: problems.append(f"compose: {name} must run the worker `{name}` (command: [{name}])")
    if not s.get("build") and not s.get("image"): problems.append(f"compose: {name} has no image or build")
for name, s in services.items():
    for v in s.get("volumes", []) or []:
        src = v.split(":")[0] if isinstance(v, str) else v.get("source", "")
        if src.startswith("."):
            p = os.path.normpath(os.path.join("deploy/compose", src))
            if not os.path.exists(p): problems.append(f"compose: {name} mounts {src}, which does not exist ({p})")
for vol in [v.split(":")[0] for s in services.values() for v in (s.get("volumes") or []) if isinstance(v, str) and not v.startswith(".")]:
    if vol not in (c.get("volumes") or {}): problems.append(f"compose: named volume {vol} is not declared")
# No default credential: a credential is referenced from the environment, required (${X:?…}) or
# empty when unset (${X:-}, a feature left off), never a literal or a default value.
import re
CRED = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY$")
REF = re.compile(r"^\$\{[A-Z0-9_]+(:\?[^}]*|:-)\}$")
for name, s in services.items():
    env = s.get("environment") or {}
    items = env.items() if isinstance(env, dict) else [tuple(e.split("=", 1)) if "=" in e else (e, None) for e in env]
    for k, v in items:
        if CRED.search(k) and v not in (None, "") and not REF.match(str(v)):
            problems.append(f"compose: {name} sets the credential {k} to a literal or default value ({v}); reference it as ${{{k}:?…}}")
# No published internal port: only what users need (ingest, the API, Grafana), on the host's loopback.
PUBLIC = {"ingest": {8080}, "serve": {8081}, "grafana": {3000}}
for name, s in services.items():
    for p in s.get("ports") or []:
        spec = str(p if not isinstance(p, dict) else f"{p.get('host_ip', '')}:{p.get('published', '')}:{p.get('target')}")
        parts = spec.split(":")
        target = int(parts[-1].split("/")[0])
        if name not in PUBLIC or target not in PUBLIC[name]:
            problems.append(f"compose: {name} publishes port {target}, an internal port (only {', '.join(f'{n} {sorted(t)}' for n, t in PUBLIC.items())} may be published)")
        elif len(parts) < 3 or parts[0] not in ("127.0.0.1", "[::1]"):
            problems.append(f"compose: {name} publishes {spec} on every host address; bind it to 127.0.0.1 (a proxy in front serves others)")
    if any("--web.enable-lifecycle" in str(a) for a in (s.get("command") or [])):
        problems.append(f"compose: {name} enables Prometheus' unauthenticated lifecycle API (--web.enable-lifecycle)")
ds = [d for p, ds_ in docs.items() if "datasources" in p for doc in ds_ for d in (doc or {}).get("datasources", [])]
types = {d.get("type") for d in ds}
if "grafana-clickhouse-datasource" not in types or "prometheus" not in types:
    problems.append("grafana provisioning: needs a prometheus and a grafana-clickhouse-datasource data source")
for p in glob.glob("deploy/k8s/*.yaml"):
    for doc in docs.get(p, []):
        if doc is not None and (not doc.get("kind") or not doc.get("apiVersion")):
            problems.append(f"{p}: a document without kind/apiVersion")
if problems: print("\n".join(problems)); sys.exit(1)
EOF
  then ok "compose, Grafana provisioning and Kubernetes YAML parse; compose services complete; no default credential, no published internal port"
  else bad "YAML files"; sed 's/^/        /' "$tmp/out"; fi
else
  skip "no python3 with PyYAML: compose and provisioning YAML not parsed"
fi

# --- Kubernetes: render with kustomize and check the workers' needs ---------------------------
rendered=""
if have kustomize && kustomize build deploy/k8s >"$tmp/k8s.yaml" 2>"$tmp/err"; then rendered="kustomize build"
elif have kubectl && kubectl kustomize deploy/k8s >"$tmp/k8s.yaml" 2>"$tmp/err"; then rendered="kubectl kustomize"
elif have kustomize || have kubectl; then bad "kustomize failed to render deploy/k8s"; sed 's/^/        /' "$tmp/err"
else skip "neither kustomize nor kubectl: deploy/k8s not rendered (the files alone are checked above)"; fi
if [ -n "$rendered" ]; then
  ok "deploy/k8s renders ($rendered)"
  if [ -n "$PY" ]; then
    if $PY - "$tmp/k8s.yaml" >"$tmp/out" 2>&1 <<'EOF'
import sys, yaml
import re
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
problems = []
CRED = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY$")
ops_by_pod = {}
by_kind = {}
for d in docs: by_kind.setdefault(d["kind"], []).append(d)
names = {(d["kind"], d["metadata"]["name"]) for d in docs}
workers = {"ingest", "process", "sink", "serve"}
seen = set()
def matches(sel, labels): return all(labels.get(k) == v for k, v in (sel or {}).items())
for dep in by_kind.get("Deployment", []):
    n = dep["metadata"]["name"]; spec = dep["spec"]; pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"].get("labels", {})
    if not matches(spec["selector"].get("matchLabels"), labels): problems.append(f"{n}: selector does not match the pod labels")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace < 20: problems.append(f"{n}: terminationGracePeriodSeconds {grace} leaves no room for the 15 s shutdown deadline")
    if not pod.get("securityContext", {}).get("runAsNonRoot"): problems.append(f"{n}: must run as non-root")
    for c in pod["containers"]:
        args = c.get("args") or []
        if args and args[0] in workers: seen.add(args[0])
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            g = (c.get(probe) or {}).get("httpGet") or {}
            port = ports.get(g.get("port"), g.get("port"))
            if g.get("path") != path or port != 9464: problems.append(f"{n}: {probe} must be GET {path} on port 9464 (is {g.get('path')} on {port})")
        req = (c.get("resources") or {}).get("requests") or {}
        if "cpu" not in req or "memory" not in req: problems.append(f"{n}: needs cpu and memory requests")
        if "memory" not in ((c.get("resources") or {}).get("limits") or {}): problems.append(f"{n}: needs a memory limit")
        for ref in c.get("envFrom", []):
            if "configMapRef" in ref and ("ConfigMap", ref["configMapRef"]["name"]) not in names: problems.append(f"{n}: ConfigMap {ref['configMapRef']['name']} does not exist")
            # The Secret is created by the operator, never shipped: it must be required, so a pod without it does not start.
            if "secretRef" in ref and ref["secretRef"].get("optional"): problems.append(f"{n}: Secret {ref['secretRef']['name']} must not be optional")
        for e in c.get("env", []) or []:
            if CRED.search(e["name"]) and e.get("value"): problems.append(f"{n}: credential {e['name']} has a literal value; take it from a Secret")
        ops_names = {p.get("name") for p in c.get("ports", []) if p["containerPort"] == 9464} | {9464}
        ops_by_pod.setdefault(n, set()).update(ops_names)
    for v in pod.get("volumes", []):
        if "configMap" in v and ("ConfigMap", v["configMap"]["name"]) not in names: problems.append(f"{n}: volume ConfigMap {v['configMap']['name']} does not exist")
    if not any(matches(p["spec"]["selector"].get("matchLabels"), labels) for p in by_kind.get("PodDisruptionBudget", [])):
        problems.append(f"{n}: no PodDisruptionBudget selects it")
for h in by_kind.get("HorizontalPodAutoscaler", []):
    t = h["spec"]["scaleTargetRef"]
    if (t["kind"], t["name"]) not in names: problems.append(f"HPA {h['metadata']['name']}: target {t['name']} does not exist")
    if h["spec"]["minReplicas"] > h["spec"]["maxReplicas"]: problems.append(f"HPA {h['metadata']['name']}: minReplicas > maxReplicas")
if workers - seen: problems.append(f"no Deployment runs: {sorted(workers - seen)}")
# No default credential: the base ships no Secret value and no credential in a ConfigMap.
for sec in by_kind.get("Secret", []):
    if any(v for v in list((sec.get("data") or {}).values()) + list((sec.get("stringData") or {}).values())):
        problems.append(f"Secret {sec['metadata']['name']}: holds values; secrets are created by the operator, not shipped")
for cm in by_kind.get("ConfigMap", []):
    for k, v in (cm.get("data") or {}).items():
        if CRED.search(k) and v: problems.append(f"ConfigMap {cm['metadata']['name']}: credential {k} has a value")
# No published internal port: Services only expose what users need, never the ops port, never on nodes.
deps = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
for svc in by_kind.get("Service", []):
    n = svc["metadata"]["name"]
    if svc["spec"].get("type", "ClusterIP") not in ("ClusterIP",): problems.append(f"Service {n}: type {svc['spec']['type']} publishes on nodes; use an Ingress/Gateway in an overlay")
    for dn, dep in deps.items():
        if matches(svc["spec"].get("selector"), dep["spec"]["template"]["metadata"].get("labels", {})):
            for p in svc["spec"].get("ports", []):
                if p.get("targetPort", p["port"]) in ops_by_pod.get(dn, set()): problems.append(f"Service {n}: exposes the ops port (/metrics) of {dn}")
# A NetworkPolicy per worker, behind a default deny of both directions.
pols = by_kind.get("NetworkPolicy", [])
if not any(not (p["spec"].get("podSelector") or {}).get("matchLabels") and {"Ingress", "Egress"} <= set(p["spec"].get("policyTypes", [])) for p in pols):
    problems.append("no default-deny NetworkPolicy (empty podSelector, Ingress and Egress)")
for dn, dep in deps.items():
    labels = dep["spec"]["template"]["metadata"].get("labels", {})
    if not any((p["spec"].get("podSelector") or {}).get("matchLabels") and matches(p["spec"]["podSelector"]["matchLabels"], labels) for p in pols):
        problems.append(f"{dn}: no NetworkPolicy of its own")
if problems: print("\n".join(problems)); sys.exit(1)
print(f"{len(docs)} objects")
EOF
    then ok "Kubernetes objects: probes on 9464, resources, non-root, grace period, PDBs, config refs, no shipped credential, no exposed ops port, NetworkPolicies ($(cat "$tmp/out"))"
    else bad "Kubernetes objects"; sed 's/^/        /' "$tmp/out"; fi
  else
    skip "no python3 with PyYAML: rendered Kubernetes objects not inspected"
  fi
fi

# --- Dockerfile ---------------------------------------------------------------------------------
df_problems=""
grep -q '^ENTRYPOINT \["node", "dist/bin/trendstream.mjs"\]' Dockerfile || df_problems+=" entrypoint"
grep -Eq '^USER (node|[1-9][0-9]*)' Dockerfile || df_problems+=" non-root-user"
grep -Eq 'node:24[-a-z]*slim' Dockerfile || df_problems+=" node-24-slim"
[ "$(grep -c '^FROM ' Dockerfile)" -ge 2 ] || df_problems+=" multi-stage"
grep -q -- '--omit=dev' Dockerfile || df_problems+=" production-deps-only"
grep -qx 'node_modules' .dockerignore || df_problems+=" dockerignore-node_modules"
if [ -z "$df_problems" ]; then ok "Dockerfile: multi-stage, Node 24 slim, production deps, non-root, entrypoint"
else bad "Dockerfile lacks:$df_problems"; fi

# --- Metric names: rules and dashboards ⊆ docs/metrics.md ⊆ a worker's registry -------------------
if node - "$tmp/documented.txt" >"$tmp/out" 2>&1 <<'EOF'
const fs = require('node:fs');
const doc = fs.readFileSync('docs/metrics.md', 'utf8');
const documented = new Set([...doc.matchAll(/^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \|/gm)].map((m) => m[1]));
const histograms = new Set([...doc.matchAll(/^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \| histogram \|/gm)].map((m) => m[1]));
const rulesText = fs.readFileSync('deploy/prometheus/rules.yml', 'utf8');
const recorded = new Set([...rulesText.matchAll(/^\s*- record:\s*(\S+)/gm)].map((m) => m[1]));
const exprs = [];
// Rule expressions: `expr: …` on one line or a `|` block indented below it.
const lines = rulesText.split('\n');
for (let i = 0; i < lines.length; i++) {
  const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]);
  if (!m) continue;
  if (m[2] !== '|' && m[2] !== '>') { exprs.push(['rules.yml', m[2]]); continue; }
  const block = [];
  for (let j = i + 1; j < lines.length && (lines[j].trim() === '' || lines[j].search(/\S/) > m[1].length); j++) block.push(lines[j]);
  exprs.push(['rules.yml', block.join('\n')]);
}
for (const f of fs.readdirSync('deploy/grafana/dashboards').filter((f) => f.endsWith('.json'))) {
  const d = JSON.parse(fs.readFileSync(`deploy/grafana/dashboards/${f}`, 'utf8'));
  for (const p of d.panels ?? []) for (const t of p.targets ?? []) if (t.expr) exprs.push([f, t.expr]);
}
const problems = [];
const used = new Set();
for (const [where, e] of exprs) {
  const clean = e.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\[[^\]]*\]/g, '');
  for (const m of clean.matchAll(/(?<![\w:$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?=\s*(?:\{|\[|\)|$|\s|>|<|=|!|\*|\/|\+|-|,))/g)) {
    const name = m[1];
    if (!/^trendstream[_:]|^up$/.test(name)) continue;
    let base = name;
    const h = /^(.*)_(bucket|sum|count)$/.exec(name);
    if (h && histograms.has(h[1])) base = h[1];
    used.add(base);
    if (!documented.has(base)) problems.push(`${where}: ${name} is not in docs/metrics.md`);
    else if (name.includes(':') && !recorded.has(name)) problems.push(`${where}: ${name} is documented as a recording rule but rules.yml does not record it`);
  }
}
if (!exprs.length) problems.push('found no expressions in the rules or dashboards');
if (problems.length) { console.log([...new Set(problems)].join('\n')); process.exit(1); }
fs.writeFileSync(process.argv[2], [...documented].join('\n'));
console.log(`${used.size} metrics used in ${exprs.length} expressions`);
EOF
then ok "every metric in the rules and dashboards is documented ($(cat "$tmp/out"))"
else bad "metrics used but not documented"; sed 's/^/        /' "$tmp/out"; fi

# A worker's registry: the metric families lib/metrics.ts registers, with the default process
# metrics, exactly as /metrics serves them. Documented and registered must be the same set.
if [ -x node_modules/.bin/tsx ] && [ -s "$tmp/documented.txt" ]; then
  printf '%s\n' \
    "import { Metrics } from '$PWD/lib/metrics.ts';" \
    "const names = (await Metrics.withDefaults().registry.getMetricsAsJSON()).map((m) => m.name);" \
    "console.log(names.join('\\n'));" >"$tmp/registry.mts"
  if node_modules/.bin/tsx "$tmp/registry.mts" >"$tmp/registered.txt" 2>"$tmp/err"; then
    missing=$(grep '^trendstream_' "$tmp/documented.txt" | sort | comm -23 - <(sort "$tmp/registered.txt"))
    undocumented=$(sort "$tmp/registered.txt" | comm -23 - <(sort "$tmp/documented.txt"))
    if [ -z "$missing" ] && [ -z "$undocumented" ]; then ok "docs/metrics.md lists exactly the $(wc -l <"$tmp/registered.txt") metrics a worker registers"
    else
      bad "docs/metrics.md and the worker registry differ"
      [ -n "$missing" ] && echo "$missing" | sed 's/^/        documented but not registered: /'
      [ -n "$undocumented" ] && echo "$undocumented" | sed 's/^/        registered but not documented: /'
    fi
  else bad "could not list the worker registry (lib/metrics.ts)"; sed 's/^/        /' "$tmp/err"; fi
elif [ ! -x node_modules/.bin/tsx ]; then
  skip "node_modules not installed: metric names not compared with a worker's registry (npm install first)"
else
  skip "docs/metrics.md not compared with a worker's registry: the metric check above failed"
fi

echo "deploy/check: $ran checks, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
