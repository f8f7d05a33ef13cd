"""Shared helpers of the bench/ scripts: binaries, machine description, results files, medians.

Binaries come from $PETACORE_BUILD_DIR/bin (default build-bench/: Release, tests off). Every
script first runs ninja there on the targets it needs (a no-op when up to date, so what is
measured is the tree as it is); --no-build skips that. Processes (etcd, redis-server,
petacore-server) are started by tests/integration/harness.py on free loopback ports and
always stopped at the end.
"""
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")


def build_dir():
    d = os.environ.get("PETACORE_BUILD_DIR", "build-bench")
    return d if os.path.isabs(d) else os.path.join(ROOT, d)


def bin_path(name):
    return os.path.join(build_dir(), "bin", name)


def add_build_args(parser):
    parser.add_argument("--no-build", action="store_true",
                        help="use the binaries in $PETACORE_BUILD_DIR/bin as they are")


def ensure_binaries(names, no_build=False):
    """Builds `names` (targets) in the build dir unless no_build; returns {name: path}."""
    tools = ["redis-server", "redis-benchmark", "redis-cli", "etcd", "etcdctl"]
    if any(shutil.which(t) is None for t in tools):
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "install-deps.sh")], check=True)
    missing = [n for n in names if not os.access(bin_path(n), os.X_OK)]
    if not no_build or missing:
        bd = build_dir()
        cache = os.path.join(bd, "CMakeCache.txt")
        bench_off = os.path.exists(cache) and "PETACORE_BUILD_BENCH:BOOL=OFF" in open(cache).read()
        if not os.path.exists(os.path.join(bd, "build.ninja")) or bench_off:
            subprocess.run(["cmake", "-S", ROOT, "-B", bd, "-G", "Ninja",
                            "-DCMAKE_BUILD_TYPE=Release", "-DPETACORE_BUILD_TESTS=OFF",
                            "-DPETACORE_BUILD_BENCH=ON"], check=True, stdout=subprocess.DEVNULL)
        jobs = os.environ.get("JOBS", str(os.cpu_count() or 2))
        print(f"building {' '.join(names)} in {os.path.relpath(bd, ROOT)}/ ...", flush=True)
        subprocess.run(["ninja", "-C", bd, "-j", jobs, *names], check=True,
                       stdout=subprocess.DEVNULL)
    os.environ["PETACORE_SERVER"] = bin_path("petacore-server")
    return {n: bin_path(n) for n in names}


def harness():
    """tests/integration/harness.py, imported after PETACORE_SERVER is set."""
    sys.dont_write_bytecode = True  # keep tests/ free of __pycache__
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    import harness as h  # noqa: E402
    h.SERVER = os.environ.get("PETACORE_SERVER", h.SERVER)
    return h


def _first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except Exception:  # noqa: BLE001 - descriptive only
        return "?"


def machine():
    """One paragraph describing the machine and the software versions measured."""
    cpu = "?"
    mem = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem = f"{int(line.split()[1]) / 1048576:.1f} GiB RAM"
                    break
    except OSError:
        pass
    distro = "?"
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            distro = m.group(1) if m else "?"
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rev = _first_line(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    redis_v = _first_line(["redis-server", "--version"])
    m = re.search(r"v=(\S+)", redis_v)
    redis_v = f"Redis {m.group(1)}" if m else redis_v
    etcd_v = _first_line(["etcd", "--version"]).replace("etcd Version:", "etcd")
    return (f"{platform.node()}: {cpu}, {os.cpu_count()} cores, {mem}; {distro}, Linux "
            f"{platform.release()}; load average at start {load}. PetaCore {rev}"
            f"{' (uncommitted changes)' if dirty else ''}, {redis_v}, {etcd_v}.")


class Targets:
    """The servers a benchmark compares, on free loopback ports: a real Redis ("redis"),
    PetaCore standalone ("standalone") and PetaCore replicated on its own etcd ("replicated"),
    as named in `wanted`; etcd also starts when `need_etcd`. close() stops them all (also when
    starting one fails)."""

    NAMES = {"redis": "redis", "standalone": "petacore-standalone",
             "replicated": "petacore-replicated"}

    def __init__(self, h, wanted, need_etcd=False):
        self.procs, self.list, self.etcd = [], [], None  # list: (name, port, pid)
        try:
            if "redis" in wanted:
                self._add("redis", h.RealRedis())
            if "standalone" in wanted:
                self._add("standalone", h.Node())
            if "replicated" in wanted or need_etcd:
                self.etcd = h.Etcd()
            if "replicated" in wanted:
                self._add("replicated", h.Node(self.etcd))
        except BaseException:
            self.close()
            raise

    def _add(self, key, proc):
        self.procs.append(proc)
        self.list.append((self.NAMES[key], proc.port, proc.proc.pid))

    def ports(self):
        """[(name, port)] in start order."""
        return [(name, port) for name, port, _ in self.list]

    def close(self):
        for proc in reversed(self.procs):
            proc.close()
        self.procs = []
        if self.etcd is not None:
            self.etcd.close()
            self.etcd = None


def stamp():
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def write_results(name, markdown, csv_rows=None, csv_header=None):
    """Writes bench/results/<name>-<timestamp>.md (and .csv); prints the Markdown; returns path."""
    os.makedirs(RESULTS, exist_ok=True)
    base = os.path.join(RESULTS, f"{name}-{stamp()}")
    with open(base + ".md", "w") as f:
        f.write(markdown.rstrip("\n") + "\n")
    print(markdown)
    print(f"\nwritten to {os.path.relpath(base + '.md', ROOT)}", end="")
    if csv_rows is not None:
        import csv
        with open(base + ".csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(csv_header)
            w.writerows(csv_rows)
        print(f" and {os.path.relpath(base + '.csv', ROOT)}", end="")
    print()
    return base + ".md"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def parse_result_line(text):
    """The "RESULT k=v ..." line of loader / etcd_put output, as {k: float}; {} if absent."""
    for line in reversed(text.splitlines()):
        if line.startswith("RESULT "):
            out = {}
            for part in line.split()[1:]:
                k, _, v = part.partition("=")
                try:
                    out[k] = float(v)
                except ValueError:
                    out[k] = v
            return out
    return {}


def fmt_rate(x):
    return "" if x is None else f"{x:,.0f}"


def fmt_ms(x):
    return "" if x is None else f"{x:.3f}"


def fmt_ratio(a, b):
    return "" if a is None or not b else f"{a / b:.2f}"


def rss_bytes(pid):
    """VmRSS of a process, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def info_field(port, section, field):
    """One field of INFO <section> via redis-cli (None if absent)."""
    out = subprocess.run(["redis-cli", "-p", str(port), "info", section], capture_output=True,
                         text=True, timeout=60).stdout
    for line in out.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


def human_bytes(n):
    if n is None:
        return ""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    """User + system CPU seconds of the given processes so far (/proc/<pid>/stat fields 14
    and 15)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICK


def percentile(sorted_values, p):
    """The nearest-rank p-th percentile (0-100) of an ascending list."""
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values))) - 1))
    return sorted_values[i]


def redis_benchmark(port, clients, n, *cmd, options=(), timeout=1800):
    """requests/s of `redis-benchmark -p port -c clients -n n [options] --csv CMD...` (the
    first rate of its CSV output), or None."""
    args = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-n", str(n),
            *options, "--csv", *cmd]
    out = subprocess.run(args, capture_output=True, text=True, timeout=timeout).stdout
    for line in out.strip().splitlines()[1:]:
        parts = [p.strip('"') for p in line.split(",")]
        try:
            return float(parts[1])
        except (IndexError, ValueError):
            continue
    return None


def redis_benchmark_csv(port, clients, n, *cmd, options=(), timeout=1800):
    """{rps, p50, p99} (ms) of the first test of `redis-benchmark -p port -c clients -n n
    [options] --csv CMD...`."""
    args = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-n", str(n),
            *options, "--csv", *cmd]
    out = subprocess.run(args, capture_output=True, text=True, timeout=timeout).stdout
    lines = out.strip().splitlines()
    head = [h.strip('"') for h in lines[0].split(",")]
    row = dict(zip(head, [p.strip('"') for p in lines[1].split(",")]))
    return {"rps": float(row["rps"]), "p50": float(row["p50_latency_ms"]),
            "p99": float(row["p99_latency_ms"])}


def benchmark_cell(port, pids, clients, n, *cmd, options=()):
    """(requests/s, CPU µs per request of `pids`) of one redis_benchmark run."""
    cpu0 = cpu_seconds(pids)
    rate = redis_benchmark(port, clients, n, *cmd, options=options)
    return rate, (cpu_seconds(pids) - cpu0) / n * 1e6


def fmt(x, spec=",.0f"):
    """`x` formatted with `spec`, "" for None (a cell that was not measured)."""
    return "" if x is None else format(x, spec)


def ab_rounds(args, run, report):
    """Runs `run(binary)` for binaries args.a and args.b, args.rounds times, alternating which
    goes first (so drift on a shared machine hits both sides alike); `report(round, side,
    result)` is called after each. Returns {"a": [results], "b": [results]}."""
    results = {"a": [], "b": []}
    for r in range(args.rounds):
        for side in (("a", "b") if r % 2 == 0 else ("b", "a")):
            res = run(os.path.abspath(getattr(args, side)))
            results[side].append(res)
            report(r + 1, side, res)
    return results


def ab_parser(rounds=2):
    """An argument parser with --a (binary before), --b (binary after) and --rounds, for the
    scripts that run two petacore-server binaries side by side (ab_rounds)."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True, help="petacore-server binary A (before)")
    ap.add_argument("--b", required=True, help="petacore-server binary B (after)")
    ap.add_argument("--rounds", type=int, default=rounds)
    return ap


class EtcdAndNode:
    """A fresh one-member etcd and one replicated node of `binary` (tests/integration's
    harness), both stopped on exit: `with EtcdAndNode(binary) as (etcd, node): ...`."""

    def __init__(self, binary):
        self.h = harness()
        self.h.SERVER = binary
        self.etcd = self.node = None

    def __enter__(self):
        self.etcd = self.h.Etcd()
        try:
            self.node = self.h.Node(self.etcd)
        except BaseException:
            self.etcd.close()
            raise
        return self.etcd, self.node

    def __exit__(self, *exc):
        self.node.close()
        self.etcd.close()
        return False
