#!/usr/bin/env bash
# Long run of the fault and bank tests (tests/integration/test_faults.py, test_bank.py): the
# same code as in CI with every phase PETACORE_LONG_FACTOR times longer (default 20).
# Writes one JSON line per test to $PETACORE_FAULTS_REPORT (default build/faults-report.jsonl)
# and prints the totals: operations, faults injected, acknowledged writes verified, in-doubt
# writes, anomalies (must be 0).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PETACORE_LONG=1
export PETACORE_SERVER=${PETACORE_SERVER:-$root/build/bin/petacore-server}
export PETACORE_FAULTS_REPORT=${PETACORE_FAULTS_REPORT:-$root/build/faults-report.jsonl}
: >"$PETACORE_FAULTS_REPORT"
status=0
(cd "$root/tests/integration" && /usr/bin/python3 -m unittest -v test_faults test_bank) || status=$?
/usr/bin/python3 - "$PETACORE_FAULTS_REPORT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
tot = lambda k: sum(r.get(k, 0) for r in rows)
print(f"tests {len(rows)}  ops {tot('ops')}  faults {tot('faults')}  acked writes verified "
      f"{tot('acked')}  in doubt {tot('in_doubt')}  anomalies {sum(len(r['anomalies']) for r in rows)}")
PY
exit $status
