#!/bin/bash
# The deploy/ files, linted (there is no Kubernetes cluster here, so the manifests are checked
# for structure, not applied): the Indexed Job's shape, CAP_NET_RAW as the only capability, the
# database URL from the Secret, --shards equal to completions; shellcheck of the Slurm script.
deploy=$1
fails=0
python3 - "$deploy/kubernetes/job.yaml" "$deploy/kubernetes/secret.yaml" <<'PY' || fails=$((fails + 1))
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
secret = yaml.safe_load(open(sys.argv[2]))
problems = []
def want(cond, what):
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        problems.append(what)
want(job["apiVersion"] == "batch/v1" and job["kind"] == "Job", "job.yaml is a batch/v1 Job")
spec = job["spec"]
want(spec.get("completionMode") == "Indexed", "completionMode: Indexed")
pod = spec["template"]["spec"]
(c,) = pod["containers"]
args = c["args"]
shards = [a.split("=", 1)[1] for a in args if a.startswith("--shards=")]
want(shards == [str(spec["completions"])], "--shards equals completions")
want("--shard-from-env" in args, "the index comes from JOB_COMPLETION_INDEX (--shard-from-env)")
want(any(a.startswith("--seed=") for a in args), "a fixed --seed")
caps = c["securityContext"]["capabilities"]
want(caps.get("drop") == ["ALL"] and caps.get("add") == ["NET_RAW"], "CAP_NET_RAW only")
want(pod["securityContext"].get("runAsNonRoot") is True, "runs as non-root")
env = {e["name"]: e for e in c.get("env", [])}
ref = env.get("PORTSIGHT_DB", {}).get("valueFrom", {}).get("secretKeyRef", {})
want(ref.get("name") == secret["metadata"]["name"] and ref.get("key") in secret["stringData"],
     "PORTSIGHT_DB from the Secret")
want(pod.get("restartPolicy") in ("OnFailure", "Never"), "a Job's restartPolicy")
sys.exit(1 if problems else 0)
PY
grep -q '^FROM ' "$deploy/kubernetes/Containerfile" && grep -q 'setcap cap_net_raw+ep' \
	"$deploy/kubernetes/Containerfile" && echo "ok - Containerfile builds and sets cap_net_raw" ||
	{ echo "FAIL - Containerfile"; fails=$((fails + 1)); }
if command -v shellcheck >/dev/null; then
	if shellcheck -s bash "$deploy/slurm/portsight-array.sbatch"; then
		echo "ok - shellcheck portsight-array.sbatch"
	else
		echo "FAIL - shellcheck portsight-array.sbatch"
		fails=$((fails + 1))
	fi
else
	bash -n "$deploy/slurm/portsight-array.sbatch" && echo "ok - bash -n portsight-array.sbatch" ||
		fails=$((fails + 1))
fi
exit $((fails != 0))
