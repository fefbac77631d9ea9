"""SBB XML import at national scale (issue 20): a synthetic structure of 180 dossiers from the samples.

SBB's register holds about 180 dossiers; we have three real ones (../shared/sbb-xml). This makes
a national-size structure from them: dossier k is sample k mod 3 with every number of its own
renumbered (every ``nr``, every reference to one, the crebo codes), so all stay unique and every
reference still points at its element; the lists every SBB file shares (domains, sector chambers,
competences) are kept, as SBB's own files repeat them. It is written as 180 files, and as one
file with 180 <dossier> elements (SBB's download is one file).

Measured, each in a fresh process, on this machine (targets of issue 20 in brackets):
  * ``kdgraph import`` of the 3 samples                      [< 5 s]
  * ``kdgraph import`` of the 180 files, and of the one file [< 2 min, peak RSS < 1 GB]
  * ``kdgraph serve --data <180 files> --state-dir <fresh>``: start to /health 200 with
    conforms true, SHACL validation included (a fresh validation cache)   [< 3 min]

    .venv/bin/python bench/sbb_import.py                 # 180 dossiers
    .venv/bin/python bench/sbb_import.py --dossiers 30 --keep /tmp/sbb-180
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from harness import free_port, tree_cpu_seconds, tree_pss_kb  # type: ignore[import-not-found]

BIN = Path(sys.executable).parent
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "sbb-xml"
FIRST_CREBO = 30000  # synthetic crebo codes from here on (the samples' are 23xxx and 25xxx)
# A reference to an element of the same dossier (renumbered); references to the shared lists
# (<competentie referentie>, <sectorkamer referentie>, referentiedomein) stay as they are.
OWN_REFERENCE = re.compile(r'(<(?!competentie\b|sectorkamer\b)\w+\b[^>]*?\sreferentie=")(\d+)"')
CREBO = re.compile(r"(<(?:dossiercrebo|crebo)\b[^>]*>)\s*(\d{5})\s*(</(?:dossiercrebo|crebo)>)")


def split(sample: str) -> tuple[str, str, str]:
    """(head with the shared lists and <dossiers>, the <dossier> element, the tail)."""
    start = sample.index("<dossier ")
    end = sample.index("</dossier>", start) + len("</dossier>")
    return sample[:start], sample[start:end], sample[end:]


def renumbered(dossier: str, copy: int, crebos: dict[tuple[int, str], str]) -> str:
    """Dossier ``copy`` made from a sample's <dossier>: its own numbers prefixed with the copy's.

    Every number SBB gives within a dossier is unique in it, so prefixing them all with the
    copy's number keeps them unique across copies and every reference resolves as before.
    """
    prefix = f"{copy + 1:03d}"

    def crebo(found: re.Match[str]) -> str:
        code = crebos.setdefault((copy, found.group(2)), str(FIRST_CREBO + len(crebos)))
        return f"{found.group(1)}{code}{found.group(3)}"

    text = re.sub(r'(\snr=")(\d+)"', lambda m: f'{m.group(1)}{prefix}{m.group(2)}"', dossier)
    text = OWN_REFERENCE.sub(lambda m: f'{m.group(1)}{prefix}{m.group(2)}"', text)
    text = re.sub(r'(referentievorigeversie=")(\d+)"', lambda m: f'{m.group(1)}{prefix}{m.group(2)}"', text)
    text = re.sub(
        r'(<dossier\b[^>]*?\stitel=")([^"]*)"', lambda m: f'{m.group(1)}{m.group(2)} {prefix}"', text
    )
    return CREBO.sub(crebo, text)


def synthesize(count: int, folder: Path) -> tuple[list[Path], Path]:
    """``count`` dossier files in ``folder``/files and all of them in ``folder``/one/sbb.xml."""
    samples = sorted(SAMPLES.glob("*.xml"))
    parts = [split(path.read_bytes().decode("utf-8-sig")) for path in samples]
    if len({head for head, _, _ in parts}) != 1:
        raise SystemExit("the samples' shared lists differ; this generator expects them equal")
    crebos: dict[tuple[int, str], str] = {}
    (folder / "files").mkdir(parents=True)
    (folder / "one").mkdir()
    files, dossiers = [], []
    for copy in range(count):
        head, dossier, tail = parts[copy % len(parts)]
        element = renumbered(dossier, copy, crebos)
        dossiers.append(element)
        path = folder / "files" / f"{copy + 1:03d}-{samples[copy % len(samples)].stem.split('-', 1)[1]}.xml"
        path.write_bytes(b"\xef\xbb\xbf" + (head + element + tail).encode())  # as SBB writes: a BOM
        files.append(path)
    head, _, tail = parts[0]
    one = folder / "one" / "sbb.xml"
    one.write_bytes(b"\xef\xbb\xbf" + (head + "\n    ".join(dossiers) + tail).encode())
    return files, one


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Wall and CPU seconds and peak RSS (MB) of one child process (its own rusage, by wait4), and
    the last line of its stderr. CPU seconds say what the work costs on a machine others share."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{stderr[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024, stderr.strip().splitlines()[-1]


def serve_measured(
    data: Path, tmp: Path, workers: int, env: dict[str, str], limit: float
) -> tuple[float | None, float, int, dict | None]:
    """``kdgraph serve`` on ``data`` with a fresh state dir: seconds until /health answers 200
    (None: not within ``limit``), CPU seconds of its processes by then (the preparation child
    included), their peak PSS (kB, sampled) and /health."""
    port = free_port()
    command = [str(BIN / "kdgraph"), "serve", "--data", str(data), "--port", str(port)]
    command += ["--workers", str(workers), "--state-dir", str(tmp / "state")]
    start = time.perf_counter()
    with (tmp / "serve.log").open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True, env=env)
    peak, cpu, health, ready = 0, 0.0, None, None
    try:
        while time.perf_counter() - start < limit and process.poll() is None:
            peak, cpu = max(peak, tree_pss_kb(process.pid)), tree_cpu_seconds(process.pid)
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/health", timeout=60)
                if answer.status_code == 200:
                    ready, health = time.perf_counter() - start, answer.json()
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if process.returncode not in (0, -signal.SIGTERM) and ready is None:
        tail = (tmp / "serve.log").read_text(errors="replace")[-2000:]
        raise SystemExit(f"kdgraph serve failed:\n{tail}")
    return ready, cpu, peak, health


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dossiers", type=int, default=180)
    parser.add_argument("--keep", type=Path, help="write the synthetic files here and keep them")
    parser.add_argument("--workers", type=int, default=2, help="workers of the measured server")
    parser.add_argument(
        "--serve-limit", type=float, default=900, help="seconds to wait for the server (default 900)"
    )
    args = parser.parse_args()
    if not SAMPLES.is_dir():
        raise SystemExit(f"SBB's sample XML is not at {SAMPLES}")
    tmp = Path(tempfile.mkdtemp(prefix="sbb-bench-"))
    folder = args.keep or tmp / "synthetic"
    if folder.exists():
        shutil.rmtree(folder)
    env = {**os.environ, "KDGRAPH_CACHE_DIR": str(tmp / "cache")}  # no verdict from an earlier run
    kdgraph = str(BIN / "kdgraph")

    def imported(what: str, source: Path, target: str) -> str:
        out = tmp / "out"
        seconds, cpu, peak, said = run_measured([kdgraph, "import", str(source), "-o", str(out)], env)
        shutil.rmtree(out)
        said = said.replace(str(out), "OUT")
        return f"| {what} | {seconds:.1f} | {cpu:.1f} | {peak:.0f} | {target} | {said} |"

    try:
        # The samples first: a child's peak RSS counts its parent's pages until it execs, and the
        # synthesis leaves this process bigger than an import of three files.
        samples = imported("import the 3 samples", SAMPLES, "< 5 s")
        files, one = synthesize(args.dossiers, folder)
        size = sum(path.stat().st_size for path in files) / 1e6
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
            f"load average (1 min) {os.getloadavg()[0]:.2f} at start\n"
            f"synthetic structure: {args.dossiers} dossiers from {SAMPLES.name}/ "
            f"({len(files)} files, {size:.1f} MB; one file {one.stat().st_size / 1e6:.1f} MB)\n"
        )
        print("| measured | wall seconds | CPU seconds | peak memory (MB) | target | outcome |")
        print("|---|---:|---:|---:|---|---|")
        print(samples, flush=True)
        for what, source in (
            (f"import {args.dossiers} dossiers, a file each", folder / "files"),
            (f"import {args.dossiers} dossiers in one file", one),
        ):
            print(imported(what, source, "< 120 s, < 1024 MB"), flush=True)
        (tmp / "serve").mkdir()
        ready, cpu, peak_kb, health = serve_measured(
            folder / "files", tmp / "serve", args.workers, env, args.serve_limit
        )
        if health is None:
            outcome = f"no answer within {args.serve_limit:.0f} s (stopped)"
        else:
            outcome = (
                f"conforms {str(health['conforms']).lower()}: {health['triples']} triples, "
                f"{len(health['graphs'])} graphs, {health['violations']} violations"
            )
        print(
            f"| serve {args.dossiers} dossiers (XML, fresh state dir) until /health 200 "
            f"| {'-' if ready is None else f'{ready:.1f}'} | {cpu:.1f} "
            f"| {peak_kb / 1024:.0f} (PSS, all processes) | < 180 s | {outcome} |"
        )
        print(f"\nload average (1 min) {os.getloadavg()[0]:.2f} at end")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
