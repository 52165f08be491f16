"""Side-by-side benchmark harness: pullback vs. JAX (and raw NumPy) in ONE process.

Run from the repository root::

    PYTHONPATH=src python -m benchmarks            # or: python benchmarks/run.py
    python -m benchmarks --list
    python -m benchmarks --only hvp,perex_grads_jit_b2 --repeat 11
    python -m benchmarks --json results.json
    python -m benchmarks --memory                  # also run the opt-in memory workloads

How a workload is measured
--------------------------
* ``setup(lib)`` (see :mod:`benchmarks.workloads`) is called once per library
  with a namespace holding that library's ``jax``, ``jnp``, ``lax``,
  ``random``; it returns a zero-argument callable.
* Timed workloads are warmed up (two calls: the first compiles under ``jit``),
  then the number of inner loops per repeat is picked automatically (1, 2, 5,
  10, 20, ... calls until one batch takes >= 0.05 s, so a repeat lasts roughly
  0.05-0.2 s; a slow workload gets a single call per repeat).
* Repeats ALTERNATE between the libraries (pullback, JAX, NumPy, then the
  reverse order on the next repeat), so drift in machine load hits both sides.
* Every call's output is forced before the next call starts and before the
  clock stops: ``block_until_ready()`` on each leaf from that library's
  ``tree_util.tree_leaves`` (the equivalent of the seed's
  ``%timeit f(...).block_until_ready()``).  As in ``timeit``, the garbage
  collector is disabled inside a timed batch and run between batches.
* Compile-latency workloads time only the FIRST call of a freshly created
  jitted function; before each repeat the library's ``clear_caches()`` is
  called (``jax.clear_caches()`` / ``pullback.clear_caches()``).
* Memory workloads (opt-in) report MB instead of microseconds: for pullback
  the tracemalloc peak during one call (NumPy's data buffers are tracked by
  tracemalloc); for JAX the temporaries+output XLA plans for the jitted
  gradient (``compiled.memory_analysis()``), which is cheap to obtain.

A workload a library cannot run is shown as ``n/a (ExceptionType)``; the rest
go on.  The suite is a measurement, never a pass/fail test.
"""

from __future__ import annotations

import os
import sys

# --- Pin BLAS / XLA to one thread BEFORE numpy or jax is imported. ----------

_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_XLA_THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _pin_threads_env() -> bool:
    """Set the one-thread environment; return True if numpy was already imported."""
    for var in _THREAD_ENV:
        os.environ[var] = "1"
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = (flags + " " + _XLA_THREAD_FLAGS).strip()
    # XLA's CPU client still spreads large matmuls over every core it may use (measured:
    # 576 us wall for 1058 us of CPU time), so the process is pinned to one core
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        except OSError:
            pass
    return "numpy" in sys.modules


_NUMPY_PREIMPORTED = _pin_threads_env()

import argparse  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import numpy as np  # noqa: E402

try:  # also cap already-loaded BLAS pools, if threadpoolctl is available
    from threadpoolctl import threadpool_limits as _threadpool_limits  # noqa: E402

    _THREADPOOL_LIMITS = _threadpool_limits(limits=1)
except Exception:  # not installed (it is optional)
    _THREADPOOL_LIMITS = None

_REPO = Path(__file__).resolve().parent.parent
if str(_REPO) not in sys.path:  # `python benchmarks/run.py` puts benchmarks/ first
    sys.path.insert(0, str(_REPO))

from benchmarks.workloads import WORKLOADS, Workload  # noqa: E402

LIBS = ("pullback", "jax")
LABELS = {"pullback": "pullback", "jax": "JAX", "numpy": "NumPy"}

DEFAULT_REPEAT = 7
COMPILE_REPEATS = 5          # compile-latency workloads use at most this many repeats
MIN_BATCH_S = 0.05           # a timed batch lasts at least this long (unless one call is slower)
PARTICIPANT_BUDGET_S = 15.0  # cap on one library's timed repeats for one workload

_perf = time.perf_counter


# ---------------------------------------------------------------------------
# Library loading
# ---------------------------------------------------------------------------


def _fallback_tree_leaves(tree):
    """Leaves of nested tuples/lists/dicts (used only if a library lacks tree_util)."""
    if isinstance(tree, (tuple, list)):
        return [leaf for t in tree for leaf in _fallback_tree_leaves(t)]
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _fallback_tree_leaves(tree[k])]
    return [] if tree is None else [tree]


def _make_force(tree_leaves):
    """A function that blocks on every output leaf (fast path for a single array)."""

    def force(out):
        block = getattr(out, "block_until_ready", None)
        if block is not None:
            block()
            return
        for leaf in tree_leaves(out):
            block = getattr(leaf, "block_until_ready", None)
            if block is not None:
                block()

    return force


def _no_force(out):
    """NumPy results are already materialized."""


def _set_threefry(jax_mod) -> str:
    try:
        jax_mod.config.update("jax_threefry_partitionable", False)
        return "jax_threefry_partitionable=False"
    except Exception as e:  # flag or config missing
        return f"threefry flag not set ({type(e).__name__})"


def _namespace(name, jax_mod, jnp, lax, random):
    tree_util = getattr(jax_mod, "tree_util", None)
    tree_leaves = getattr(tree_util, "tree_leaves", None) or _fallback_tree_leaves
    return SimpleNamespace(
        name=name, jax=jax_mod, jnp=jnp, lax=lax, random=random,
        force=_make_force(tree_leaves),
        clear_caches=getattr(jax_mod, "clear_caches", None),
        version=getattr(jax_mod, "__version__", "?"),
        config_note=_set_threefry(jax_mod),
    )


def load_jax():
    """Import JAX; return (namespace, None) or (None, exception)."""
    try:
        import jax
        import jax.numpy as jnp
        from jax import lax, random
    except Exception as e:
        return None, e
    return _namespace("jax", jax, jnp, lax, random), None


def load_pullback():
    """Import pullback (falling back to <repo>/src); return (namespace, None) or (None, exception)."""
    src = _REPO / "src"
    try:
        try:
            import pullback  # noqa: F401
        except ModuleNotFoundError as e:
            if e.name != "pullback" or not (src / "pullback").is_dir():
                raise
            sys.path.append(str(src))
            import pullback  # noqa: F401
        import pullback.numpy as jnp
    except Exception as e:  # the library may be mid-construction
        return None, e
    # lax / random are optional here: a workload that needs a missing one
    # fails on its own (n/a) instead of taking every other workload down.
    lax, random = _optional_submodule(pullback, "lax"), _optional_submodule(pullback, "random")
    return _namespace("pullback", pullback, jnp, lax, random), None


def _optional_submodule(package, name):
    """package.<name>, or a stand-in raising the import error on first attribute use."""
    found = getattr(package, name, None)
    if found is not None:
        return found
    try:
        return importlib.import_module(f"{package.__name__}.{name}")
    except Exception as e:
        return _Missing(f"{package.__name__}.{name}", e)


class _Missing:
    """Placeholder for a submodule that failed to import."""

    def __init__(self, qualname, error):
        self._qualname, self._error = qualname, error

    def __getattr__(self, attr):
        raise ImportError(f"{self._qualname} unavailable ({type(self._error).__name__}: "
                          f"{self._error}); needed for .{attr}")


# ---------------------------------------------------------------------------
# Measurement primitives
# ---------------------------------------------------------------------------


class Participant:
    """One library's side of one workload: its callable and its measurements."""

    def __init__(self, key, fn=None, force=_no_force, clear=None, error=None):
        self.key = key
        self.fn = fn
        self.force = force
        self.clear = clear
        self.error = error
        self.number = 0
        self.repeats = 0
        self.samples = []  # seconds per call, one per repeat (or MB for memory)

    def fail(self, exc):
        self.error = exc
        self.fn = None

    @property
    def ok(self):
        return self.error is None and self.fn is not None


def _batch(fn, force, number):
    """Seconds per call over `number` forced calls, garbage collector disabled."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = _perf()
        for _ in range(number):
            force(fn())
        t1 = _perf()
    finally:
        if gc_was_enabled:
            gc.enable()
    return (t1 - t0) / number


def _warm_and_calibrate(p, repeat):
    """Warm up, then choose inner loops (1, 2, 5, 10, ...) and the repeat count."""
    p.force(p.fn())  # first call: compile under jit, caches, lazy imports
    number, per_call, scale = 1, 0.0, 1
    while scale <= 10**7:  # 1, 2, 5, 10, 20, 50, ... calls (as timeit.autorange)
        for mult in (1, 2, 5):
            number = scale * mult
            per_call = _batch(p.fn, p.force, number)
            if per_call * number >= MIN_BATCH_S:
                break
        else:
            scale *= 10
            continue
        break
    p.number = number
    per_repeat = per_call * number
    p.repeats = min(repeat, max(2, int(PARTICIPANT_BUDGET_S // max(per_repeat, 1e-9))))


def _alternating(participants, rounds, one_round):
    """Run `one_round(p)` for each live participant, reversing order every round."""
    for r in range(rounds):
        order = participants if r % 2 == 0 else participants[::-1]
        for p in order:
            if p.ok and r < p.repeats:
                gc.collect()
                try:
                    one_round(p)
                except Exception as e:
                    p.fail(e)


def measure_timed(participants, repeat):
    """Steady-state time per call for eager / jit / dispatch workloads."""
    for p in participants:
        if p.ok:
            try:
                _warm_and_calibrate(p, repeat)
            except Exception as e:
                p.fail(e)
    rounds = max([p.repeats for p in participants if p.ok] or [0])
    _alternating(participants, rounds,
                 lambda p: p.samples.append(_batch(p.fn, p.force, p.number)))


def measure_compile(participants, repeat):
    """Latency of the first call of a freshly built jitted function (p.fn is a factory)."""

    def first_call(p):
        if p.clear is not None:
            p.clear()
        fn = p.fn()
        t0 = _perf()
        p.force(fn())
        p.samples.append(_perf() - t0)

    for p in participants:
        p.number, p.repeats = 1, min(repeat, COMPILE_REPEATS)
    _alternating(participants, min(repeat, COMPILE_REPEATS), first_call)


def measure_memory(participants, workload, libs):
    """Peak MB: tracemalloc for pullback, XLA's memory analysis for JAX."""
    for p in participants:
        if not p.ok:
            continue
        p.number, p.repeats = 1, 1
        try:
            if p.key == "jax":
                p.samples.append(workload.xla_memory(libs["jax"]) / 1e6)
                continue
            gc.collect()
            tracemalloc.start()
            try:
                out = p.fn()
                p.force(out)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            del out
            p.samples.append(peak / 1e6)
        except Exception as e:
            p.fail(e)


# ---------------------------------------------------------------------------
# Running a workload
# ---------------------------------------------------------------------------


def _participants(w: Workload, libs, lib_errors):
    """Build each library's callable once (setup errors become n/a)."""
    parts = []
    for key in LIBS:
        if key not in libs and key not in lib_errors:
            continue  # JAX not installed: pullback only
        if key == "jax" and w.kind == "memory" and w.xla_memory is None:
            continue
        lib = libs.get(key)
        p = Participant(key, error=lib_errors.get(key))
        if lib is not None:
            p.force, p.clear = lib.force, lib.clear_caches
            try:
                # JAX memory rows come from xla_memory, not from a callable.
                p.fn = (lambda: None) if (w.kind == "memory" and key == "jax") else w.setup(lib)
            except Exception as e:
                p.fail(e)
        parts.append(p)
    if w.numpy_setup is not None:
        p = Participant("numpy")
        try:
            p.fn = w.numpy_setup()
        except Exception as e:
            p.fail(e)
        parts.append(p)
    return parts


def _summary(p, unit):
    if not p.ok or not p.samples:
        err = p.error if p.error is not None else RuntimeError("no samples")
        return {"status": "n/a", "error_type": type(err).__name__,
                "error": f"{type(err).__name__}: {err}"[:500]}
    scale = 1e6 if unit == "us" else 1.0
    vals = [s * scale for s in p.samples]
    return {"status": "ok", "median": statistics.median(vals), "min": min(vals),
            "samples": vals, "number": p.number, "repeats": len(vals)}


def run_workload(w: Workload, libs, lib_errors, repeat):
    """Measure one workload for every library; return a JSON-able record."""
    parts = _participants(w, libs, lib_errors)
    if w.kind == "compile":
        measure_compile(parts, repeat)
    elif w.kind == "memory":
        measure_memory(parts, w, libs)
    else:
        measure_timed(parts, repeat)
    res = {p.key: _summary(p, w.unit) for p in parts}
    rec = {"name": w.name, "kind": w.kind, "unit": w.unit, "doc": w.doc,
           "target": w.target, "np_target": w.np_target, "results": res,
           "ratio": None, "np_ratio": None, "met": None}
    pb, jx, npy = res.get("pullback"), res.get("jax"), res.get("numpy")
    ok = lambda r: r is not None and r["status"] == "ok"  # noqa: E731
    if ok(pb) and ok(jx) and jx["median"] > 0:
        rec["ratio"] = pb["median"] / jx["median"]
    if ok(pb) and ok(npy) and npy["median"] > 0:
        rec["np_ratio"] = pb["median"] / npy["median"]
    checks = []
    if w.target is not None and rec["ratio"] is not None:
        checks.append(rec["ratio"] <= w.target)
    if w.np_target is not None and rec["np_ratio"] is not None:
        checks.append(rec["np_ratio"] <= w.np_target)
    if checks:
        rec["met"] = all(checks)
    return rec


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def _fmt_num(v):
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def _fmt_ratio(r):
    if r is None:
        return ""
    return f"{r:,.0f}" if r >= 100 else f"{r:.3g}"


def _cells(r, with_min=True):
    """Median (and min) cells for one library result."""
    if r is None:
        return ["", ""] if with_min else [""]
    if r["status"] != "ok":
        na = f"n/a ({r['error_type']})"
        return [na, ""] if with_min else [na]
    return [_fmt_num(r["median"]), _fmt_num(r["min"])] if with_min else [_fmt_num(r["median"])]


def _target_text(rec):
    parts = []
    if rec["target"] is not None:
        parts.append(f"<={rec['target']:g}")
    if rec["np_target"] is not None:
        parts.append(f"<={rec['np_target']:g}x NumPy")
    return " ".join(parts)


def _render(headers, rows, right_from=1):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    def line(cells):
        out = []
        for i, (c, wd) in enumerate(zip(cells, widths)):
            out.append(str(c).ljust(wd) if i < right_from else str(c).rjust(wd))
        return "  ".join(out).rstrip()
    sep = "  ".join("-" * wd for wd in widths)
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def format_tables(records, have_jax):
    """The timing table and, if any memory workloads ran, the memory table."""
    out = []
    timed = [r for r in records if r["kind"] != "memory"]
    if timed:
        headers = ["workload", "kind", "pullback med us", "pullback min us"]
        if have_jax:
            headers += ["JAX med us", "JAX min us", "pb/JAX"]
        headers += ["target", "met", "NumPy med us", "pb/NumPy"]
        rows = []
        for rec in timed:
            res = rec["results"]
            row = [rec["name"], rec["kind"], *_cells(res.get("pullback"))]
            if have_jax:
                row += [*_cells(res.get("jax")), _fmt_ratio(rec["ratio"])]
            met = {True: "yes", False: "no", None: ""}[rec["met"]]
            row += [_target_text(rec), met, *_cells(res.get("numpy"), with_min=False),
                    _fmt_ratio(rec["np_ratio"])]
            rows.append(row)
        out.append(_render(headers, rows, right_from=2))
    mem = [r for r in records if r["kind"] == "memory"]
    if mem:
        headers = ["workload", "pullback peak MB (tracemalloc)"]
        if have_jax:
            headers += ["JAX MB (XLA plan, jit)"]
        rows = []
        for rec in mem:
            res = rec["results"]
            row = [rec["name"], *_cells(res.get("pullback"), with_min=False)]
            if have_jax:
                jx = res.get("jax")
                row += _cells(jx, with_min=False) if jx else ["n/a"]
            rows.append(row)
        out.append("\nPeak memory (MB = 1e6 bytes; pullback: tracemalloc peak during one eager call; "
                   "JAX: temp+output bytes XLA plans for jit(grad), after fusion):\n"
                   + _render(headers, rows))
    return "\n".join(out)


def format_errors(records, lib_errors):
    """One line per distinct failure, naming the workloads it hit."""
    seen = {}
    for rec in records:
        for key, r in rec["results"].items():
            if r["status"] != "ok":
                seen.setdefault((key, r["error"]), []).append(rec["name"])
    if not seen:
        return ""
    lines = ["", "n/a details:"]
    for (key, err), names in seen.items():
        where = "all selected workloads" if key in lib_errors else ", ".join(names)
        lines.append(f"  {LABELS[key]}: {err.splitlines()[0][:200]}  [{where}]")
    return "\n".join(lines)


def _thread_note():
    tp = "threadpoolctl: limits=1" if _THREADPOOL_LIMITS is not None else "threadpoolctl: not installed"
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "all"
    note = (f"threads: BLAS pinned to 1 thread for both libraries "
            f"({'/'.join(_THREAD_ENV)}=1, XLA_FLAGS={os.environ.get('XLA_FLAGS')!r}, {tp}); "
            f"process pinned to CPUs {cpus}")
    if _NUMPY_PREIMPORTED:
        note += "  [warning: numpy was imported before pinning]"
    return note


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def select(only, memory):
    """Workloads chosen by --only (exact or substring) plus opt-in ones if asked."""
    if not only:
        chosen = [w for w in WORKLOADS if not w.opt_in]
    else:
        tokens = [t.strip() for t in only.split(",") if t.strip()]
        chosen = [w for w in WORKLOADS if any(t == w.name or t in w.name for t in tokens)]
        unknown = [t for t in tokens if not any(t == w.name or t in w.name for w in WORKLOADS)]
        if unknown:
            raise SystemExit(f"--only: no workload matches {', '.join(unknown)} (see --list)")
    if memory:
        chosen += [w for w in WORKLOADS if w.kind == "memory" and w not in chosen]
    return chosen


def parse_args(argv=None):
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark pullback side by side with JAX in one process.")
    ap.add_argument("--only", metavar="NAME,...",
                    help="comma-separated workload names or substrings")
    ap.add_argument("--json", metavar="FILE", help="also write all measurements as JSON")
    ap.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, metavar="N",
                    help=f"timing repeats per library (default {DEFAULT_REPEAT}; "
                         f"compile latency uses at most {COMPILE_REPEATS})")
    ap.add_argument("--list", action="store_true", help="list the workloads and exit")
    ap.add_argument("--memory", action="store_true",
                    help="also run the opt-in peak-memory workloads (slow, ~1 GB)")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    return args


def list_workloads():
    rows = []
    for w in WORKLOADS:
        tgt = _target_text({"target": w.target, "np_target": w.np_target})
        rows.append([w.name, w.kind + (" (opt-in)" if w.opt_in else ""), tgt, w.doc])
    print(_render(["workload", "kind", "target", "from"], rows, right_from=99))


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        list_workloads()
        return 0
    chosen = select(args.only, args.memory)

    libs, lib_errors = {}, {}
    pb, err = load_pullback()
    if pb is not None:
        libs["pullback"] = pb
    else:
        lib_errors["pullback"] = err
    jx, jerr = load_jax()
    if jx is not None:
        libs["jax"] = jx
    have_jax = jx is not None

    print(_thread_note())
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} cpus, {platform.machine()}")
    for key, label in (("pullback", "pullback"), ("jax", "JAX")):
        lib = libs.get(key)
        if lib is not None:
            print(f"{label} {lib.version} ({lib.config_note})")
        elif key == "pullback":
            print(f"pullback: not importable ({type(err).__name__}: {err}); its column shows n/a")
        else:
            print(f"JAX: not importable ({type(jerr).__name__}: {jerr}); showing pullback only")
    print(f"repeats: {args.repeat} (compile latency: {min(args.repeat, COMPILE_REPEATS)}); "
          f"{len(chosen)} workloads; times are per call, in microseconds")
    print(flush=True)

    records = []
    t_start = _perf()
    for i, w in enumerate(chosen, 1):
        t0 = _perf()
        print(f"[{i}/{len(chosen)}] {w.name} ...", end="", file=sys.stderr, flush=True)
        rec = run_workload(w, libs, lib_errors, args.repeat)
        rec["wall_s"] = _perf() - t0
        records.append(rec)
        print(f" {rec['wall_s']:.1f}s", file=sys.stderr, flush=True)

    print(format_tables(records, have_jax))
    errors = format_errors(records, lib_errors)
    if errors:
        print(errors)
    print(f"\ntotal wall time {_perf() - t_start:.1f}s")

    if args.json:
        meta = {
            "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "cpus": os.cpu_count(),
            "repeat": args.repeat, "compile_repeats": min(args.repeat, COMPILE_REPEATS),
            "threads": _thread_note(),
            "pullback": libs["pullback"].version if "pullback" in libs else None,
            "jax": libs["jax"].version if "jax" in libs else None,
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        Path(args.json).write_text(json.dumps({"meta": meta, "workloads": records}, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
