#!/bin/bash
# lab_task.sh CMD...: run CMD in this Slurm array task's own lab namespace,
# $PS_LAB_TASK_PREFIX$SLURM_ARRAY_TASK_ID, after lab_guard says it is one of the lab's
# ($PS_LAB_NSES, exported by the test that made them) and sealed. Anything else: exit 97,
# nothing run. The only way tests/slurm/test_slurm.sh lets a task scan.
. "$(dirname "$0")/lab.sh"
read -r -a LAB_NSES <<<"${PS_LAB_NSES:?no lab namespaces (PS_LAB_NSES)}"
ns=${PS_LAB_TASK_PREFIX:?}${SLURM_ARRAY_TASK_ID:?not a Slurm array task}
lab_guard "$ns" || exit 97
exec ip netns exec "$ns" "$@"
