"""Loading a registry: find its files, read, check the schema, build the model, check the rules.

The one entry point is :func:`load`.  A registry is one folder of YAML files, or several
layered folders (an overlay: a file in a later folder replaces the file with the same
relative name in an earlier one; the lab inventory uses this to swap in synthetic
contacts).  A load that finds no error is cached by the content hash of every file and
of this package's own rules, so the next load of the same bytes is a pickle read.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import hashlib
import os
import pickle
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import gbtt
from gbtt import model as m
from gbtt import rules, schema
from gbtt.diagnostics import Diagnostic, Report, error
from gbtt.yamlio import Locator, YamlProblem, fast_load

SOURCE_SUFFIXES = ("gbtt.yml", "gbtt.yaml")
_CACHE_FORMAT = 3


class SourceError(Exception):
    """The inventory path given does not lead to a registry."""


@dataclass(frozen=True)
class Source:
    """An inventory source: a name and the registry folders it layers, first to last."""

    name: str
    roots: tuple[Path, ...]
    config: Path | None = None
    secrets: str = "vault"  # "vault": production credentials checked; "plain": lab-only credentials
    lab: dict | None = field(default=None, hash=False, compare=False)  # the embedded lab's settings (lab only)


@dataclass
class LoadResult:
    source: Source
    registry: m.Registry
    report: Report
    cached: bool = False
    key: str = ""

    @property
    def ok(self) -> bool:
        return not self.report.errors


def is_source_file(path: Path) -> bool:
    name = path.name
    return name in SOURCE_SUFFIXES or any(name.endswith("." + s) for s in SOURCE_SUFFIXES)


def read_source_file(path: Path) -> Source:
    """Read an inventory source file (``plugin: gbtt`` + ``registry: …``)."""
    try:
        data = fast_load(path.read_text(encoding="utf-8"), str(path))
    except YamlProblem as exc:
        raise SourceError(f"{path}:{exc.line}: {exc.message}") from None
    if not isinstance(data, dict) or data.get("plugin") != "gbtt":
        raise SourceError(f"{path}: not a gbtt inventory source (it needs 'plugin: gbtt')")
    roots = data.get("registry", "registry")
    roots = [roots] if isinstance(roots, str) else roots
    if not isinstance(roots, list) or not roots or not all(isinstance(r, str) for r in roots):
        raise SourceError(f"{path}: 'registry' must be a folder or a list of folders, relative to this file")
    unknown = sorted(set(data) - {"plugin", "registry", "secrets", "lab"})
    if unknown:
        raise SourceError(f"{path}: unknown key(s) {', '.join(map(str, unknown))} "
                          "(allowed: plugin, registry, secrets, lab)")
    secrets = data.get("secrets", "vault")
    if secrets not in ("vault", "plain"):
        raise SourceError(f"{path}: 'secrets' is 'vault' (production) or 'plain' (lab only), not {secrets!r}")
    lab = data.get("lab")
    if lab is not None and (not isinstance(lab, dict) or secrets != "plain"):
        raise SourceError(f"{path}: 'lab' is a mapping (e.g. {{base_port: 20000}}) and only for a lab "
                          "inventory (secrets: plain)")
    resolved = tuple((path.parent / r).resolve() for r in roots)
    for r in resolved:
        if not r.is_dir():
            raise SourceError(f"{path}: registry folder {r} does not exist")
    name = path.name
    for s in SOURCE_SUFFIXES:
        if name.endswith("." + s):
            name = name[: -len(s) - 1]
    return Source(name if name not in SOURCE_SUFFIXES else path.parent.name, resolved, path, secrets, lab)


def find_sources(path: str | os.PathLike) -> list[Source]:
    """The registries behind an inventory path: a source file, an inventory folder, or a registry folder."""
    p = Path(path)
    if p.is_file():
        if is_source_file(p):
            return [read_source_file(p)]
        raise SourceError(f"{p}: not a gbtt inventory source (name it <name>.gbtt.yml with 'plugin: gbtt')")
    if not p.is_dir():
        raise SourceError(f"{p}: no such file or folder")
    files = sorted(f for f in p.iterdir() if f.is_file() and is_source_file(f))
    if files:
        return [read_source_file(f) for f in files]
    if any(p.rglob("*.yml")):
        return [Source(p.resolve().name, (p.resolve(),))]
    raise SourceError(f"{p}: no *.gbtt.yml inventory source and no registry files here")


def file_of(source: Source, rel: str) -> Path | None:
    """The file behind a registry-relative name (``Src.file``): the last root that has it, as
    :func:`registry_files` layers them; None when no root has it."""
    for root in reversed(source.roots):
        if (root / rel).is_file():
            return root / rel
    return None


def registry_files(roots: Iterable[Path]) -> dict[str, Path]:
    """Relative name -> absolute path of every registry file, later roots overriding earlier ones."""
    files: dict[str, Path] = {}
    for root in roots:
        for f in sorted(root.rglob("*")):
            if f.suffix in (".yml", ".yaml") and f.is_file() and not is_source_file(f) and not any(
                    part.startswith(".") for part in f.relative_to(root).parts):
                files[f.relative_to(root).as_posix()] = f
    return dict(sorted(files.items()))


def _code_fingerprint() -> bytes:
    h = hashlib.sha256(gbtt.__version__.encode())
    here = Path(__file__).parent
    for name in ("registry.py", "schema.py", "rules.py", "model.py", "yamlio.py", "diagnostics.py"):
        h.update((here / name).read_bytes())
    return h.digest()


_FINGERPRINT: bytes | None = None


def cache_dir() -> Path:
    if os.environ.get("GBTT_CACHE_DIR"):
        return Path(os.environ["GBTT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gbtt"


def _content_key(files: dict[str, Path], texts: dict[str, bytes]) -> str:
    global _FINGERPRINT
    if _FINGERPRINT is None:
        _FINGERPRINT = _code_fingerprint()
    h = hashlib.sha256(_FINGERPRINT)
    h.update(_CACHE_FORMAT.to_bytes(2, "big"))
    for rel in files:
        data = texts[rel]
        h.update(rel.encode() + b"\0" + len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def _cache_path(source: Source) -> Path:
    """One cache entry per inventory source: a changed registry replaces its entry, never adds one."""
    ident = str(source.config.resolve() if source.config else [str(r.resolve()) for r in source.roots])
    return cache_dir() / f"registry-{hashlib.sha256(ident.encode()).hexdigest()[:24]}.pickle"


def _cache_read(path: Path, key: str) -> tuple[m.Registry, list[Diagnostic]] | None:
    try:
        with open(path, "rb") as fh:
            fmt, stored_key, registry, diags = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError, TypeError):
        return None
    if fmt != _CACHE_FORMAT or stored_key != key:
        return None
    try:
        os.utime(path)  # the entry is in use: keep it from the pruning below
    except OSError:
        pass
    return registry, diags


CACHE_MAX_AGE_DAYS = 30


def _cache_write(path: Path, key: str, registry: m.Registry, diags: list[Diagnostic]) -> None:
    d = path.parent
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump((_CACHE_FORMAT, key, registry, diags), fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        # entries of sources not loaded for a month (moved or deleted checkouts, temporary folders)
        limit = time.time() - CACHE_MAX_AGE_DAYS * 86400
        for old in d.glob("registry-*.pickle"):
            if old.stat().st_mtime < limit:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written only costs time


def plan(source: Source, by_content: bool = False) -> tuple[dict[str, Path], dict[str, bytes], str, Path]:
    """(files, their bytes, content key, cache entry) of a source: what :func:`load` reads first."""
    files = registry_files(source.roots)
    texts = {rel: p.read_bytes() for rel, p in files.items()}
    key = _content_key(files, texts)
    cache_path = cache_dir() / f"registry-content-{key[:24]}.pickle" if by_content else _cache_path(source)
    return files, texts, key, cache_path


def load(path: str | os.PathLike | Source, *, use_cache: bool = True, by_content: bool = False,
         _planned: tuple | None = None) -> LoadResult:
    """Load, check and (when valid) cache the registry behind one inventory source.
    ``by_content``: name the cache entry by the content, not the source's place (a git revision
    extracted to a temporary folder: the same revision hits the cache wherever it is extracted)."""
    source = path if isinstance(path, Source) else _single(find_sources(path), path)
    files, texts, key, cache_path = _planned or plan(source, by_content)
    report = Report(files=files)
    if use_cache:
        hit = _LOADED.get(key) if by_content else None
        hit = hit or _cache_read(cache_path, key)
        if hit is not None:
            if by_content and len(_LOADED) < 256:
                _LOADED[key] = hit
            report.items.extend(hit[1])
            _check_credentials(source, report, hit[0])
            return LoadResult(source, hit[0], report, cached=True, key=key)
    registry = m.Registry()
    with _gc_paused():
        builder = _Builder(registry, report)
        for rel in files:
            builder.read_file(rel, texts[rel])
        builder.finish()
        if not report.errors:
            report.extend(rules.check(registry, invalid=builder.invalid_ids))
        if not report.errors and use_cache:
            _cache_write(cache_path, key, registry, report.items)
            if by_content:
                if len(_LOADED) > 256:
                    _LOADED.clear()
                _LOADED[key] = (registry, list(report.items))
    _check_credentials(source, report, registry)
    return LoadResult(source, registry, report, cached=False, key=key)


def jobs() -> int:
    """Processes that load registries at once: ``GBTT_JOBS``, else the CPUs this process may use."""
    value = os.environ.get("GBTT_JOBS", "")
    if value.strip().isdigit() and int(value) > 0:
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


#: below this many bytes to parse, starting a worker process (0.5 s) costs more than it saves
PARALLEL_MIN_BYTES = 2_000_000


def load_all(requests: list[tuple[Source, bool]], plans: list[tuple] | None = None) -> list[LoadResult]:
    """Load several sources, each ``(source, by_content)`` (a national inventory holds one per
    province, a review two revisions of it). The sources not in the cache are shared out between
    this process and ``jobs() - 1`` worker processes, which write their registries to the cache for
    the reads that follow here; a worker that fails only leaves its part to this process."""
    plans = plans or [plan(source, by_content) for source, by_content in requests]
    todo, seen = [], set()
    for i, ((source, by_content), (_, _, key, cache_path)) in enumerate(zip(requests, plans)):
        if key in seen or (by_content and key in _LOADED) or _cache_holds(cache_path, key):
            continue
        seen.add(key)
        todo.append(i)
    size = sum(len(t) for i in todo for t in plans[i][1].values())
    workers = min(jobs() - 1, len(todo) - 1) if size >= PARALLEL_MIN_BYTES else 0
    results: dict[int, LoadResult] = {}
    if workers > 0:
        work = [requests[i] for i in todo]
        with tempfile.TemporaryDirectory(prefix="gbtt-load-") as tmp:
            counter = Path(tmp) / "next"
            counter.write_bytes(b"0")
            (Path(tmp) / "work").write_bytes(pickle.dumps(work))
            procs = [_start_worker(tmp) for _ in range(workers)]
            while (n := _take(counter)) < len(work):
                i = todo[n]
                results[i] = load(requests[i][0], by_content=requests[i][1], _planned=plans[i])
            for proc in procs:
                try:
                    proc.wait(timeout=WORKER_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()  # its sources are loaded below, here
                    proc.wait()
    return [results.get(i) or load(source, by_content=by_content, _planned=planned)
            for i, ((source, by_content), planned) in enumerate(zip(requests, plans))]


WORKER_TIMEOUT = 600


def _start_worker(folder: str) -> subprocess.Popen:
    """A worker is a fresh interpreter running :func:`_worker` (not ``multiprocessing``: its spawn
    would run the caller's main script again, and fork is unsafe beside the lab's threads)."""
    package_parent = str(Path(gbtt.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-c", "import sys; from gbtt.registry import _worker; _worker(sys.argv[1])",
                             folder], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _cache_holds(path: Path, key: str) -> bool:
    """Whether the cache entry at ``path`` is of ``key`` (its opening bytes; the read checks again)."""
    try:
        with open(path, "rb") as fh:
            return key.encode() in fh.read(256)
    except OSError:
        return False


def _take(counter: Path) -> int:
    """The next piece of work: a counter in a file, shared by the loading processes under a lock."""
    with open(counter, "r+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        n = int(fh.read() or b"0")
        fh.seek(0)
        fh.write(str(n + 1).encode())
        fh.truncate()
    return n


def _worker(folder: str) -> None:
    work = pickle.loads((Path(folder) / "work").read_bytes())
    while (n := _take(Path(folder) / "next")) < len(work):
        load(work[n][0], by_content=work[n][1])  # written to the cache, read back by the parent


#: content key -> (registry, diagnostics) of the registries loaded by content in this process (the
#: provinces a review's two revisions share are read once); treated as read-only, like a cache hit
_LOADED: dict[str, tuple[m.Registry, list[Diagnostic]]] = {}


@contextlib.contextmanager
def _gc_paused():
    """Building a registry makes a million objects and frees none; the cyclic collector would walk
    them again and again (40 % of the parse time of a national inventory)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _check_credentials(source: Source, report: Report, registry: m.Registry | None) -> None:
    """Production credentials: checked on every load (a small file, outside the registry and its cache)."""
    if source.config is not None and source.secrets == "vault":
        from gbtt import vault
        accounts = registry.province.codec_accounts if registry and registry.province else ()
        report.extend(vault.check(source.config.parent, [a["passphrase_secret"] for a in accounts]))


def _single(sources: list[Source], path: Any) -> Source:
    if len(sources) != 1:
        raise SourceError(f"{path}: holds {len(sources)} inventory sources; name one of them: "
                          + ", ".join(str(s.config) for s in sources))
    return sources[0]


def _written_token(line: str | None, column: int | None) -> str | None:
    """The scalar as written at ``column`` (1-based) of ``line``, for messages."""
    if not line or not column:
        return None
    rest = line[column - 1:]
    match = re.match(r"[^,}\]#]*", rest)
    token = match.group(0).strip() if match else ""
    return token or None


# Unicode category Cc is U+0000-U+001F and U+007F-U+009F; plus the line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _control_chars(value: str) -> str | None:
    if not _CONTROL.search(value):
        return None
    for ch in value:
        if ch in "\n\r":
            return "a line break"
        if unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029\u0085":
            return f"the control character U+{ord(ch):04X}"
    return None


def _strings(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, str):
                out.append(k)
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, (dict, list)):
                _strings(v, out)
    elif isinstance(node, list):
        for v in node:
            if isinstance(v, str):
                out.append(v)
            elif isinstance(v, (dict, list)):
                _strings(v, out)
    elif isinstance(node, str):
        out.append(node)


#: (file name, SHA-256 of its bytes) -> the data of a registry file read before in this process
#: without any problem: a review of two revisions (gbtt diff) parses a file both share once
_CLEAN: dict[tuple[str, bytes], Any] = {}


class _Builder:
    """Turns each file's data into model objects, reporting schema problems and duplicate ids."""

    def __init__(self, registry: m.Registry, report: Report):
        self.r = registry
        self.report = report
        self.invalid_ids: set[tuple[str, str]] = set()  # (section, id) of entries skipped for schema errors
        self.province_src: list[m.Src] = []

    def read_file(self, rel: str, raw: bytes) -> None:
        key = (rel, hashlib.sha256(raw).digest())
        data = _CLEAN.get(key)
        if data is not None:                 # read before in this process, without a problem
            self._build(rel, data, set())
            return
        before = len(self.report.items)
        data, bad_entries = self._parse(rel, raw)
        if data is None:
            return
        if len(self.report.items) == before and len(_CLEAN) < 20000:
            _CLEAN[key] = data
        self._build(rel, data, bad_entries)

    def _parse(self, rel: str, raw: bytes) -> tuple[Any, set]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.report.extend([Diagnostic("error", "encoding", f"not UTF-8 text (byte {exc.start})",
                                           "save the file as UTF-8", rel)])
            return None, set()
        try:
            data = fast_load(text, rel)
        except YamlProblem as p:
            self.report.extend([Diagnostic("error", p.kind, p.message, p.hint, rel, (), line=p.line,
                                           column=p.column)])
            return None, set()
        if data is None:
            return None, set()  # an empty file (only comments) is allowed
        self._check_text(rel, data, ())
        bad_entries: set[tuple] = set()
        locator = None
        for problem in schema.check_file(data):
            message, hint, line, col = problem.message, problem.hint, None, None
            if problem.kind == "wrong type" and problem.path:
                # say how the value was written: YAML may have changed it (17.10 -> 17.1)
                locator = locator or Locator({rel: self.report.files[rel]})
                line, col = locator.locate(rel, problem.path)
                written = _written_token(locator.source_line(rel, line), col)
                if written and written != repr(problem.path) and problem.message.find(f"'{written}'") < 0:
                    message += f" (written {written})"
                    hint = hint.replace("{written}", written)
                hint = hint.replace(', "{written}"', "")
            self.report.extend([Diagnostic("error", problem.kind, message, hint, rel, problem.path,
                                           problem.at_key, line, col)])
            bad_entries.add(problem.path[:2])
        return data, bad_entries

    def _build(self, rel: str, data: Any, bad_entries: set) -> None:
        if not isinstance(data, dict):
            return
        for section, value in data.items():
            if section not in schema.SECTIONS:
                continue
            if section == "province":
                if (section,) in {p[:1] for p in bad_entries} or not isinstance(value, dict):
                    self.province_src.append(m.Src(rel, ("province",)))
                    self.invalid_ids.add(("province", "province"))
                    continue
                self._province(rel, value)
                continue
            if not isinstance(value, list):
                continue
            for i, entry in enumerate(value):
                if (section, i) in bad_entries or (section,) in bad_entries or not isinstance(entry, dict):
                    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                        self.invalid_ids.add((section, entry["id"]))
                    continue
                getattr(self, "_" + section)(m.Src(rel, (section, i)), entry)

    def _check_text(self, rel: str, node: Any, path: tuple) -> None:
        if not path:  # one search over every key and value; the walk below only finds where
            strings: list[str] = []
            _strings(node, strings)
            if not _CONTROL.search("".join(strings)):
                return
        if isinstance(node, str):
            if len(path) == 3 and path[0] == "approvals" and path[2] == "signature":
                node = node.replace("\n", "")  # an armored SSH signature has lines; it reaches no device
            what = _control_chars(node)
            if what:
                self.report.extend([Diagnostic(
                    "error", "control character", f"value contains {what}: {node!r}",
                    "values reach device configurations, where a line break starts a new command: "
                    "write the value on one line without control characters", rel, path)])
        elif isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str) and _control_chars(k):
                    self.report.extend([Diagnostic("error", "control character", f"key contains control characters: {k!r}",
                                                   "remove them", rel, path + (k,), True)])
                self._check_text(rel, v, path + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                self._check_text(rel, v, path + (i,))

    def _add(self, table: dict, section: str, obj: Any) -> None:
        first = table.get(obj.id)
        if first is not None:
            self.report.extend([error("duplicate id", f"{section[:-1]} id {obj.id!r} is defined twice",
                                      "ids must be unique: rename one of them or remove the copy",
                                      obj.src.at("id"), also=[first.src.at("id")])])
            return
        table[obj.id] = obj

    def _province(self, rel: str, d: dict) -> None:
        src = m.Src(rel, ("province",))
        self.province_src.append(src)
        if self.r.province is not None:
            return
        self.r.province = m.Province(
            name=d["name"], slug=d["slug"], approving_authority=d["approving_authority"], timezone=d["timezone"],
            management_network=d["management_network"], src=src, as_of=d.get("as_of"),
            regulation=d.get("regulation"), ntp_servers=tuple(d.get("ntp_servers", ())),
            software_baselines=dict(d.get("software_baselines", {})),
            expected_endpoints=dict(d.get("expected_endpoints", {})),
            codec_accounts=tuple(dict(a) for a in d.get("codec_accounts", ())),
            approval_clock_skew_seconds=d.get("approval_clock_skew_seconds", 300),
            office_hours=tuple((h["start"], h["end"]) for h in d.get("office_hours", ())),
            extra_days_off=tuple(d.get("extra_days_off", ())),
            extra_working_days=tuple(d.get("extra_working_days", ())))

    def _districts(self, src: m.Src, d: dict) -> None:
        communes = tuple(m.Commune(c["id"], c["name"], c["type"], d["id"], src.at("communes", i))
                         for i, c in enumerate(d["communes"]))
        self._add(self.r.districts, "districts", m.District(d["id"], d["name"], d["type"], communes, src,
                                                            d.get("borders_china", False)))

    def _units(self, src: m.Src, d: dict) -> None:
        self._add(self.r.units, "units", m.Unit(d["id"], d["name"], d["kind"], d["level"], src,
                                                d.get("district"), d.get("commune")))

    def _sites(self, src: m.Src, d: dict) -> None:
        self._add(self.r.sites, "sites", m.Site(d["id"], d["name"], d["unit"], d["district"], src,
                                                d.get("commune"), d.get("room")))

    @staticmethod
    def _device(src: m.Src, d: dict, cls: str, system: str, endpoint: str | None, site: str | None) -> m.Device:
        return m.Device(d["host"], cls, d["platform"], d["address"], system, src, d.get("model"),
                        d.get("serial"), endpoint, site)

    def _systems(self, src: m.Src, d: dict) -> None:
        mcu = self._device(src.at("mcu"), d["mcu"], "mcu", d["id"], None, d["mcu"]["site"])
        self._add(self.r.systems, "systems", m.System(
            d["id"], d["name"], d["kind"], d["operating_agency"], d["funding_owner"], d["management_subnet"],
            {str(k): v for k, v in d["chairs"].items()}, mcu, src, d.get("district"), d.get("approving_authority")))

    def _endpoints(self, src: m.Src, d: dict) -> None:
        ln = d["line"]
        line = m.Line(ln["provider"], ln["bandwidth_kbps"], src.at("line"), ln.get("circuit"))
        codec = self._device(src.at("codec"), d["codec"], "codec", d["system"], d["id"], d["site"])
        router = self._device(src.at("router"), d["router"], "router", d["system"], d["id"], d["site"])
        self._add(self.r.endpoints, "endpoints", m.Endpoint(
            d["id"], d["system"], d["site"], d["name"], line, codec, router, src, d.get("border_cluster", False),
            tuple(d.get("focal_officers", ())), tuple(dict(p) for p in d.get("camera_presets", ()))))

    def _contacts(self, src: m.Src, d: dict) -> None:
        self._add(self.r.contacts, "contacts", m.Contact(
            d["id"], d["unit"], tuple(d["roles"]), src, d.get("name"), d.get("phone"), d.get("email"),
            tuple(d.get("endpoints", ()))))

    def _approvals(self, src: m.Src, d: dict) -> None:
        self._add(self.r.approvals, "approvals", m.Approval(
            d["id"], d["number"], d["authority"], d["issued"], d["valid_from"], d["valid_until"],
            tuple(d["systems"]), d["purpose"], src, tuple(d.get("endpoints", ())), d.get("meeting"),
            d.get("signature"), d.get("interconnect"), d.get("config_sha256")))

    def _interconnects(self, src: m.Src, d: dict) -> None:
        self._add(self.r.interconnects, "interconnects", m.Interconnect(
            d["id"], d["hub"], tuple(d["spokes"]), src, d.get("name"), d.get("bandwidth_kbps", 2000),
            d.get("purpose")))

    def _revocations(self, src: m.Src, d: dict) -> None:
        self.r.revocations.append(m.Revocation(d["approval"], d["revoked"], d["reason"], src, d.get("by")))

    def finish(self) -> None:
        if not self.province_src:
            self.report.extend([Diagnostic("error", "missing section", "no file holds the 'province' section",
                                           "add province.yml with 'province:' (see docs/registry.md)")])
        for extra in self.province_src[1:]:
            self.report.extend([error("duplicate id", "the 'province' section is defined twice",
                                      "keep one 'province:' section in the whole registry", extra,
                                      also=[self.province_src[0]])])
