#!/usr/bin/env python3
"""Independent verifier of ledgerflow evidence bundles, written from docs/ledger-format.md.

Usage: ledgerflow_verify.py BUNDLE_DIR|EXPORT_FILE --trusted-keys FILE [--trusted-checkpoint FILE] [--json]
(a directory is an evidence bundle; a file is a filtered export from GET /v1/exports/events)
Exit codes: 0 valid, 1 invalid (a fault was found), 2 could not run.
Needs only the standard library and `cryptography` (Ed25519).
"""
import argparse
import base64
import binascii
import hashlib
import json
import math
import os
import re
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ZERO = bytes(32)
MAX_SAFE = 2**53 - 1
STREAM_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
DASH = "\u2014"
ENVELOPE = ("stream", "event_id", "event_type", "actor", "occurred_at", "resource", "action",
            "outcome", "subject_id", "case_id", "context", "schema_version", "idempotency_key")
EVENT_MEMBERS = set(ENVELOPE) | {"seq", "payload_digest", "prev_hash", "hash", "payload",
                                 "payload_salt", "payload_purged"}
HEAD_GRACE_US = 60 * 1_000_000


class CannotRun(Exception):
    """Verification could not run (exit 2)."""


class Malformed(Exception):
    """A bundle line that is not canonical I-JSON in the bundle format."""


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


# ---------- RFC 8785 (JCS) ----------

def _es_number(x):
    """ECMAScript Number.prototype.toString for a finite double (RFC 8785 section 3.2.2.3)."""
    if x == 0:
        return "0"
    if x < 0:
        return "-" + _es_number(-x)
    r = repr(float(x))
    mant, _, exp = r.partition("e")
    e = int(exp) if exp else 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    if fp == "0":
        fp = ""
    digits = (ip + fp).lstrip("0")
    # position of the decimal point relative to the digit string
    n = len(ip.lstrip("0")) + e if ip.strip("0") else e - (len(fp) - len(fp.lstrip("0")))
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    sign = "+" if n - 1 >= 0 else "-"
    if k == 1:
        return digits + "e" + sign + str(abs(n - 1))
    return digits[0] + "." + digits[1:] + "e" + sign + str(abs(n - 1))


def _jcs_string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif c < 0x20:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(c, "\\u%04x" % c))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _utf16_key(s):
    return s.encode("utf-16-be")


def jcs(v):
    """RFC 8785 canonical JSON text of a parsed value."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return _es_number(float(v)) if abs(v) > MAX_SAFE else str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise Malformed("a number is not finite")
        if v.is_integer() and abs(v) <= MAX_SAFE:
            return str(int(v))
        return _es_number(v)
    if isinstance(v, str):
        return _jcs_string(v)
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v.keys(), key=_utf16_key)
        return "{" + ",".join(_jcs_string(k) + ":" + jcs(v[k]) for k in keys) + "}"
    raise Malformed("unsupported value")


def _no_dupes(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise Malformed("duplicate member %s" % k)
        d[k] = v
    return d


def _reject_constant(name):
    raise Malformed("%s is not JSON" % name)


def _check_ijson(v):
    if isinstance(v, bool) or v is None:
        return
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            raise Malformed("a number is not finite")
        if (isinstance(v, int) or v.is_integer()) and abs(v) > MAX_SAFE:
            raise Malformed("an integer is outside +-(2^53-1)")
        return
    if isinstance(v, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in v):
            raise Malformed("a string holds a lone surrogate")
        return
    if isinstance(v, list):
        for x in v:
            _check_ijson(x)
        return
    for k, x in v.items():
        _check_ijson(k)
        _check_ijson(x)


def strict_line(raw):
    """Parses one bundle line (bytes): I-JSON, no duplicate members, and byte-for-byte JCS."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("not UTF-8")
    try:
        v = json.loads(text, object_pairs_hook=_no_dupes, parse_constant=_reject_constant)
    except Malformed:
        raise
    except ValueError:
        raise Malformed("not JSON")
    if not isinstance(v, dict):
        raise Malformed("not a JSON object")
    _check_ijson(v)
    if jcs(v).encode("utf-8") != raw:
        raise Malformed("not RFC 8785 canonical")
    return v


# ---------- keys, signatures, checkpoints, heads ----------

def key_id(raw):
    return hashlib.sha256(raw).digest()[:8].hex()


def b64(s, size=None):
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", s) or len(s) % 4:
        raise ValueError("not base64")
    out = base64.b64decode(s, validate=True)
    if size is not None and len(out) != size:
        raise ValueError("wrong length")
    return out


def read_trusted_keys(path):
    keys = {}
    try:
        text = open(path, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError) as e:
        raise CannotRun("cannot read trusted keys %s: %s" % (path, e.__class__.__name__))
    for n, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        try:
            if len(parts) != 3 or parts[0] != "ed25519":
                raise ValueError()
            raw = b64(parts[2], 32)
        except ValueError:
            raise CannotRun("%s line %d is not a key line" % (path, n))
        if key_id(raw) != parts[1]:
            raise CannotRun("%s line %d: key id does not match its key" % (path, n))
        keys[parts[1]] = Ed25519PublicKey.from_public_bytes(raw)
    if not keys:
        raise CannotRun("%s holds no keys" % path)
    return keys


def split_signed(text):
    """Splits a signed note into (body, [(key id, signature bytes)])."""
    if "\n\n" not in text:
        raise ValueError("no blank line")
    body, _, rest = text.partition("\n\n")
    body += "\n"
    if not rest.endswith("\n"):
        raise ValueError("signature lines must end with a newline")
    sigs = []
    for line in rest[:-1].split("\n"):
        m = re.fullmatch(DASH + r" ([0-9a-f]{16}) (\S+)", line)
        if not m:
            raise ValueError("bad signature line")
        sigs.append((m.group(1), b64(m.group(2))))
    if not sigs:
        raise ValueError("no signature")
    return body, sigs


def signed_by_trusted(body, sigs, keys):
    for kid, sig in sigs:
        k = keys.get(kid)
        if k is None:
            continue
        try:
            k.verify(sig, body.encode("utf-8"))
            return True
        except InvalidSignature:
            continue
    return False


def parse_checkpoint(text):
    body, sigs = split_signed(text)
    lines = body[:-1].split("\n")
    if len(lines) != 4 or not lines[0].startswith("ledgerflow/"):
        raise ValueError("not a checkpoint")
    stream = lines[0][len("ledgerflow/"):]
    if not STREAM_RE.match(stream) or not re.fullmatch(r"0|[1-9][0-9]*", lines[1]):
        raise ValueError("not a checkpoint")
    root = b64(lines[2], 32)
    if not lines[3].startswith("timestamp ") or not TS_RE.match(lines[3][10:]):
        raise ValueError("bad timestamp")
    return {"stream": stream, "size": int(lines[1]), "root": root, "body": body, "sigs": sigs}


def parse_head(text):
    body, sigs = split_signed(text)
    lines = body[:-1].split("\n")
    if len(lines) < 4 or lines[0] != "ledgerflow-head/1":
        raise ValueError("not a head")
    m1 = re.fullmatch(r"version ([1-9][0-9]*)", lines[1])
    m2 = re.fullmatch(r"previous ([0-9a-f]{64})", lines[2])
    if not m1 or not m2 or not lines[3].startswith("timestamp ") or not TS_RE.match(lines[3][10:]):
        raise ValueError("not a head")
    streams = []
    for line in lines[4:]:
        m = re.fullmatch(r"(\S+) (0|[1-9][0-9]*) (\S+)", line)
        if not m or not STREAM_RE.match(m.group(1)):
            raise ValueError("bad stream line")
        streams.append((m.group(1), int(m.group(2)), b64(m.group(3), 32)))
    names = [s[0] for s in streams]
    if names != sorted(names) or len(set(names)) != len(names):
        raise ValueError("stream lines not sorted and unique")
    return {"version": int(m1.group(1)), "previous": m2.group(1), "timestamp": lines[3][10:],
            "streams": streams, "body": body, "sigs": sigs}


def micros(ts):
    """Microseconds since the epoch of a YYYY-MM-DDTHH:MM:SS.ffffffZ text."""
    import datetime
    d = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1_000_000 + d.microsecond


# ---------- Merkle (RFC 6962) ----------

class CompactRange:
    def __init__(self):
        self.nodes = []  # (size, hash), sizes strictly decreasing powers of two
        self.size = 0

    def append(self, leaf):
        node = (1, leaf)
        while self.nodes and self.nodes[-1][0] == node[0]:
            left = self.nodes.pop()
            node = (node[0] * 2, sha256(b"\x01", left[1], node[1]))
        self.nodes.append(node)
        self.size += 1

    def root(self):
        if not self.nodes:
            return sha256(b"")
        r = self.nodes[-1][1]
        for _, h in reversed(self.nodes[:-1]):
            r = sha256(b"\x01", h, r)
        return r


# ---------- the bundle ----------

def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def fault(stream, seq, name, detail):
    return {"stream": stream, "firstBadSeq": seq, "fault": name, "detail": detail}


def event_row(v):
    if set(v.keys()) != EVENT_MEMBERS:
        raise Malformed("an event line must have exactly the 20 bundle members")
    if not isinstance(v["stream"], str) or not STREAM_RE.match(v["stream"]):
        raise Malformed("stream")
    if not isinstance(v["seq"], int) or isinstance(v["seq"], bool) or v["seq"] < 1:
        raise Malformed("seq")
    for k in ("payload_digest", "prev_hash", "hash"):
        if not isinstance(v[k], str) or not HEX64.match(v[k]):
            raise Malformed(k)
    if v["payload_salt"] is not None and (not isinstance(v["payload_salt"], str) or not HEX32.match(v["payload_salt"])):
        raise Malformed("payload_salt")
    if v["payload"] is not None and not isinstance(v["payload"], dict):
        raise Malformed("payload")
    if not isinstance(v["payload_purged"], bool):
        raise Malformed("payload_purged")
    env = {k: v[k] for k in ENVELOPE}
    return {
        "seq": v["seq"],
        "env": jcs(env).encode("utf-8"),
        "digest": bytes.fromhex(v["payload_digest"]),
        "prev_hash": bytes.fromhex(v["prev_hash"]),
        "hash": bytes.fromhex(v["hash"]),
        "payload": v["payload"],
        "salt": None if v["payload_salt"] is None else bytes.fromhex(v["payload_salt"]),
        "purged": v["payload_purged"],
        "occurred_at": v["occurred_at"],
        "purge_ranges": purge_ranges_of(v),
    }


PURGE_STREAM = "compliance"
PURGE_PART_RE = re.compile(r"^([a-z0-9][a-z0-9_.-]{0,62}):(.+)$")
PURGE_RANGE_RE = re.compile(r"^([1-9][0-9]*)-([1-9][0-9]*)$")


def purge_ranges_of(v):
    """The resource.id of a purge event (spec: Purge events), else None."""
    res = v.get("resource")
    if (v["stream"] == PURGE_STREAM and v.get("event_type") == "ledger.payloads_purged"
            and isinstance(res, dict) and res.get("type") == "ledger_payload_ranges"
            and isinstance(res.get("id"), str)):
        return res["id"]
    return None


def parse_purge_ranges(text):
    """[(stream, a, b)] from a purge event's resource.id, or None when it is not in the grammar."""
    if len(text) > 300:
        return None
    out = []
    prev_stream = None
    for part in text.split(";"):
        m = PURGE_PART_RE.match(part)
        if not m:
            return None
        stream = m.group(1)
        if prev_stream is not None and stream.encode("utf-8") <= prev_stream.encode("utf-8"):
            return None
        prev_stream = stream
        last_b = 0
        for r in m.group(2).split(","):
            rm = PURGE_RANGE_RE.match(r)
            if not rm:
                return None
            a, b = int(rm.group(1)), int(rm.group(2))
            if a > b or b > 2 ** 53 - 1 or a <= last_b:
                return None
            last_b = b
            out.append((stream, a, b))
    return out


def load_events(dir_):
    """Per stream: rows in file order and an optional terminator ('malformed' | 'order', seq)."""
    streams = {}
    order = []
    current = None
    global_fault = None
    purge_events = []
    for raw in read_lines(os.path.join(dir_, "events.jsonl")):
        try:
            v = strict_line(raw)
            row = event_row(v)
            name = v["stream"]
            if row["purge_ranges"] is not None:
                purge_events.append(row)
        except Malformed as e:
            name = None
            try:
                loose = json.loads(raw.decode("utf-8", "replace"))
                if isinstance(loose, dict) and isinstance(loose.get("stream"), str) and STREAM_RE.match(loose["stream"]):
                    name = loose["stream"]
            except ValueError:
                pass
            if name is None:
                name = current
            if name is None:
                global_fault = global_fault or fault(None, None, "malformed line", "the first event line is malformed: %s" % e)
                continue
            s = streams.setdefault(name, {"rows": [], "end": None})
            if name not in order:
                order.append(name)
            if s["end"] is None:
                s["end"] = ("malformed", str(e))
            current = name
            continue
        s = streams.setdefault(name, {"rows": [], "end": None})
        if name != current and name in order:
            if s["end"] is None:
                s["end"] = ("order", row["seq"])
        if name not in order:
            order.append(name)
        current = name
        if s["end"] is None:
            s["rows"].append(row)
    return streams, global_fault, purge_events


def load_checkpoints(dir_, keys):
    """Stored checkpoints per stream: list of (size, root, validly signed), or a malformed-line fault."""
    cps = {}
    prev_stream = None
    for raw in read_lines(os.path.join(dir_, "checkpoints.jsonl")):
        try:
            v = strict_line(raw)
            if set(v.keys()) != {"stream", "tree_size", "checkpoint"} or not isinstance(v["checkpoint"], str):
                raise Malformed("a checkpoint line must have exactly stream, tree_size, checkpoint")
            try:
                cp = parse_checkpoint(v["checkpoint"])
            except ValueError as e:
                raise Malformed("checkpoint text: %s" % e)
            if cp["stream"] != v["stream"] or cp["size"] != v["tree_size"]:
                raise Malformed("checkpoint line disagrees with its text")
        except Malformed as e:
            return cps, fault(prev_stream, None, "malformed line", "checkpoints.jsonl: %s" % e)
        prev_stream = cp["stream"]
        cps.setdefault(cp["stream"], []).append(
            (cp["size"], cp["root"], signed_by_trusted(cp["body"], cp["sigs"], keys), "checkpoint"))
    return cps, None


def load_heads(dir_, keys):
    heads = []
    for raw in read_lines(os.path.join(dir_, "heads.jsonl")):
        try:
            v = strict_line(raw)
            if set(v.keys()) != {"version", "head"} or not isinstance(v["head"], str):
                raise Malformed("a head line must have exactly version, head")
            try:
                h = parse_head(v["head"])
            except ValueError as e:
                raise Malformed("head text: %s" % e)
            if h["version"] != v["version"]:
                raise Malformed("head line disagrees with its text")
        except Malformed as e:
            return heads, fault(None, None, "malformed line", "heads.jsonl: %s" % e)
        h["valid"] = signed_by_trusted(h["body"], h["sigs"], keys)
        heads.append(h)
    return heads, None


def check_head_chain(heads, trusted_head):
    prev = None
    for h in heads:
        if prev is None:
            ok = h["version"] == 1 and h["previous"] == "0" * 64
        else:
            ok = h["version"] == prev["version"] + 1 and h["previous"] == hashlib.sha256(prev["body"].encode("utf-8")).hexdigest()
            if ok:
                now = {s: n for s, n, _ in h["streams"]}
                ok = all(s in now and now[s] >= n for s, n, _ in prev["streams"])
        if not ok:
            return fault(None, None, "head chain broken", "head version %d does not chain to the one before" % h["version"])
        prev = h
    if trusted_head is not None:
        same = [h for h in heads if h["version"] == trusted_head["version"]]
        if not same or same[0]["body"] != trusted_head["body"]:
            return fault(None, None, "head chain broken",
                         "the bundle does not hold the trusted head version %d (fork or rollback)" % trusted_head["version"])
    return None


def recomputes(prev, seq, row):
    return sha256(prev, seq.to_bytes(8, "big"), row["env"], row["digest"]) == row["hash"]


def verify_stream(name, s, checkpoints, anchors):
    """Verifies one stream; returns (fault or None, events checked)."""
    rows = s["rows"] if s else []
    end = s["end"] if s else None
    by_size = {}
    for c in checkpoints:
        by_size.setdefault(c[0], []).append(c)
    anchor_sizes = {}
    for size, root in anchors:
        anchor_sizes.setdefault(size, []).append(root)
    prev, prev_prev, expected, proven = ZERO, None, 1, 0
    # A checkpoint not signed by a trusted key is reported only when nothing worse is found: at
    # the next validly signed root that proves the events, or at the end of the stream.
    pending = None

    def sig_fault(p):
        return fault(name, p[0], "checkpoint signature invalid",
                     "a checkpoint at tree size %d is not signed by a trusted key" % p[1])

    tree = CompactRange()
    for i, row in enumerate(rows):
        s_ = expected
        if row["seq"] != s_:
            if row["seq"] > s_:
                return fault(name, s_, "event deleted", "seq %d is missing" % s_), i
            return fault(name, s_, "order changed", "seq %d appears out of order" % row["seq"]), i
        if not recomputes(prev, s_, row) or row["prev_hash"] != prev:
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            if row["prev_hash"] == prev:
                return fault(name, s_, "event changed", "the committed fields of seq %d changed" % s_), i
            if prev_prev is not None and row["prev_hash"] == prev_prev and recomputes(prev_prev, s_ - 1, row):
                return fault(name, s_ - 1, "event inserted", "an event was chained in at seq %d" % (s_ - 1)), i
            if recomputes(row["prev_hash"], s_ + 1, row):
                if nxt is not None and recomputes(prev, s_, nxt):
                    return fault(name, s_, "order changed", "seq %d and %d were swapped" % (s_, s_ + 1)), i
                return fault(name, s_, "event deleted", "seq %d was deleted and later events renumbered" % s_), i
            if s_ > 1 and recomputes(row["prev_hash"], s_, row):
                return fault(name, s_ - 1, "event changed", "the committed fields of seq %d changed" % (s_ - 1)), i
            return fault(name, s_, "event changed", "the committed fields of seq %d changed" % s_), i
        if row["payload"] is not None:
            if row["salt"] is None or sha256(row["salt"], jcs(row["payload"]).encode("utf-8")) != row["digest"]:
                return fault(name, s_, "payload changed", "the payload of seq %d does not match its committed digest" % s_), i
        elif not row["purged"]:
            return fault(name, s_, "payload missing", "the payload of seq %d is gone and no purge covers it" % s_), i
        tree.append(sha256(b"\x00", row["hash"]))
        prev_prev, prev, expected = prev, row["hash"], expected + 1
        n = tree.size
        if n in by_size or n in anchor_sizes:
            root = tree.root()
            for _, cp_root, valid, _src in by_size.get(n, []):
                if valid and cp_root == root:
                    if pending is not None:
                        return sig_fault(pending), i + 1
                    proven = n
                elif valid:
                    return fault(name, proven + 1, "event changed",
                                 "the events disagree with the signed root at tree size %d" % n), i + 1
                elif pending is None:
                    pending = (proven + 1, n)
            for a_root in anchor_sizes.get(n, []):
                if a_root != root:
                    return fault(name, proven + 1, "event changed",
                                 "the events disagree with the trusted root at tree size %d" % n), i + 1
                if proven < n:
                    proven = n
                    if pending is not None:
                        return sig_fault(pending), i + 1
    checked = len(rows)
    if end is not None:
        if end[0] == "malformed":
            return fault(name, expected, "malformed line", "an event line of stream %s is malformed: %s" % (name, end[1])), checked
        return fault(name, end[1], "order changed", "the lines of stream %s are not contiguous" % name), checked
    head = expected - 1
    beyond = sorted([c for c in checkpoints if c[0] > head], key=lambda c: c[0])
    trusted_beyond = [c[0] for c in beyond if c[2]] + [a[0] for a in anchors if a[0] > head]
    if trusted_beyond:
        if head == 0:
            return fault(name, 1, "stream removed", "a trusted root covers stream %s, which has no events" % name), checked
        return fault(name, head + 1, "tail truncated after a checkpoint",
                     "a trusted checkpoint covers %d events; the bundle has %d" % (max(trusted_beyond), head)), checked
    if pending is not None:
        return sig_fault(pending), checked
    for size, _root, valid, _src in beyond:
        if not valid:
            bad = proven + 1
            return fault(name, bad if bad <= head else None, "checkpoint signature invalid",
                         "a checkpoint at tree size %d is not signed by a trusted key" % size), checked
    return None, checked


def verify(dir_, keys, anchor_text):
    manifest_path = os.path.join(dir_, "manifest.json")
    if not os.path.exists(manifest_path):
        raise CannotRun("%s is not a ledgerflow bundle (no manifest.json)" % dir_)
    try:
        manifest = json.loads(open(manifest_path, encoding="utf-8").read())
    except (OSError, ValueError, UnicodeDecodeError):
        raise CannotRun("%s/manifest.json is not JSON" % dir_)
    if not isinstance(manifest, dict) or manifest.get("format") != "ledgerflow-bundle/1":
        raise CannotRun("unsupported bundle format")
    if not os.path.exists(os.path.join(dir_, "events.jsonl")):
        raise CannotRun("%s has no events.jsonl" % dir_)
    warnings = []
    for f, want in (manifest.get("files") or {}).items():
        p = os.path.join(dir_, f)
        got = hashlib.sha256(open(p, "rb").read()).hexdigest() if os.path.exists(p) else None
        if not isinstance(want, dict) or got != want.get("sha256"):
            warnings.append("%s does not match the manifest's SHA-256 (changed after export)" % f)

    anchors = {}
    trusted_head = None
    if anchor_text is not None:
        try:
            if anchor_text.startswith("ledgerflow-head/"):
                trusted_head = parse_head(anchor_text)
                body, sigs, lines = trusted_head["body"], trusted_head["sigs"], trusted_head["streams"]
            else:
                cp = parse_checkpoint(anchor_text)
                body, sigs, lines = cp["body"], cp["sigs"], [(cp["stream"], cp["size"], cp["root"])]
        except ValueError as e:
            raise CannotRun("the trusted checkpoint is not a checkpoint or ledger head: %s" % e)
        if not signed_by_trusted(body, sigs, keys):
            raise CannotRun("the trusted checkpoint is not signed by a trusted key")
        for name, size, root in lines:
            anchors.setdefault(name, []).append((size, root))

    streams, events_fault, purge_events = load_events(dir_)
    cps, cp_fault = load_checkpoints(dir_, keys)
    heads, heads_fault = load_heads(dir_, keys)
    for h in heads:
        for name, size, root in h["streams"]:
            cps.setdefault(name, []).append((size, root, h["valid"], "head"))

    # Purge events count only within a root of `compliance` signed by a trusted key (spec: Purge events).
    signed = [c[0] for c in cps.get(PURGE_STREAM, []) if c[2]] + [a[0] for a in anchors.get(PURGE_STREAM, [])]
    signed_size = max(signed) if signed else 0
    covered = {}
    for row in purge_events:
        if row["seq"] <= signed_size:
            for stream, a, b in parse_purge_ranges(row["purge_ranges"]) or []:
                covered.setdefault(stream, []).append((a, b))
    for name, s in streams.items():
        for row in s["rows"]:
            if row["payload"] is None and row["purged"]:
                row["purged"] = any(a <= row["seq"] <= b for a, b in covered.get(name, []))

    global_fault = events_fault or heads_fault or check_head_chain(heads, trusted_head)
    names = sorted(set(streams) | set(cps) | set(anchors))
    latest = None
    for h in heads:
        if h["valid"]:
            latest = h
    results = []
    total = 0
    for name in names:
        f, checked = verify_stream(name, streams.get(name), cps.get(name, []), anchors.get(name, []))
        total += checked
        if f is None and latest is not None and streams.get(name) and streams[name]["rows"]:
            listed = {s for s, _, _ in latest["streams"]}
            first = streams[name]["rows"][0]
            try:
                old = micros(first["occurred_at"]) < micros(latest["timestamp"]) - HEAD_GRACE_US
            except (TypeError, ValueError):
                old = False
            if name not in listed and old:
                f = fault(name, 1, "stream added", "stream %s is not listed by the signed head version %d" % (name, latest["version"]))
        results.append({"stream": name, "eventsChecked": checked, "valid": f is None, "fault": f})
    if global_fault is None and cp_fault is not None:
        global_fault = cp_fault
    first = global_fault or next((r["fault"] for r in results if r["fault"]), None)
    out = {
        "valid": first is None,
        "stream": first["stream"] if first else None,
        "eventsChecked": total,
        "firstBadSeq": first["firstBadSeq"] if first else None,
        "fault": first["fault"] if first else None,
        "detail": first["detail"] if first else None,
        "streams": [{"stream": r["stream"], "eventsChecked": r["eventsChecked"], "valid": r["valid"],
                     "fault": r["fault"]["fault"] if r["fault"] else None,
                     "firstBadSeq": r["fault"]["firstBadSeq"] if r["fault"] else None} for r in results],
        "warnings": warnings,
    }
    return out


# ---------- filtered export (docs/ledger-format.md, "Filtered export") ----------

EXPORT_FORMAT = "ledgerflow-export/1"
MANIFEST_KEYS = {"count", "created_at", "csv_sha256", "events_sha256", "exported_by", "filter", "format",
                 "head_sha256", "head_version", "order"}
CSV_HEADER = ("stream,seq,occurred_at,event_type,actor_type,actor_id,action,outcome,resource_type,"
              "resource_id,subject_id,case_id,workflow_id,hash\n")


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = sha256(b"\x01", p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn //= 2
                    sn //= 2
        else:
            r = sha256(b"\x01", r, p)
        fn //= 2
        sn //= 2
    return sn == 0 and r == root


def csv_field(v):
    s = "" if v is None else str(v)
    if s[:1] in ("=", "+", "-", "@", "\t", "\r"):
        s = "'" + s
    return '"' + s.replace('"', '""') + '"'


def csv_line(v):
    wf = v["context"].get("workflow_id") if isinstance(v["context"], dict) else None
    cols = [v["stream"], v["seq"], v["occurred_at"], v["event_type"], v["actor"]["type"], v["actor"]["id"],
            v["action"], v["outcome"], v["resource"]["type"], v["resource"]["id"], v["subject_id"],
            v["case_id"], wf if isinstance(wf, str) else None, v["hash"]]
    return ",".join(csv_field(c) for c in cols) + "\n"


def verify_export(path, keys):
    """Verifies a filtered export (one JSONL file): head, events with proofs, signed manifest."""
    out = {"valid": False, "format": EXPORT_FORMAT, "eventsChecked": 0, "fault": None, "line": None,
           "detail": None, "warnings": []}

    def bad(name, line, detail):
        out.update({"fault": name, "line": line, "detail": detail})
        return out

    try:
        lines = read_lines(path)
    except OSError as e:
        raise CannotRun("cannot read %s: %s" % (path, e.__class__.__name__))
    if not lines:
        return bad("malformed line", None, "the export is empty")
    ev_hash = hashlib.sha256()
    csv_hash = hashlib.sha256(CSV_HEADER.encode("utf-8"))
    head = None
    order = "asc"
    prev_key = None
    seen = set()
    purged = 0
    manifest_seen = False
    for n, raw in enumerate(lines, 1):
        if manifest_seen:
            return bad("malformed line", n, "a line after the manifest")
        try:
            o = strict_line(raw)
        except Malformed as e:
            return bad("malformed line", n, str(e))
        if n == 1:
            if set(o) != {"format", "head", "order", "type"} or o["type"] != "head" \
                    or o["format"] != EXPORT_FORMAT or o["order"] not in ("asc", "desc"):
                return bad("malformed line", 1, "the first line must be the %s head line" % EXPORT_FORMAT)
            order = o["order"]
            try:
                head = parse_head(o["head"])
            except (ValueError, TypeError) as e:
                return bad("malformed line", 1, str(e))
            if not signed_by_trusted(head["body"], head["sigs"], keys):
                return bad("head signature invalid", 1, "the head is not signed by a trusted key")
            continue
        if o.get("type") == "manifest":
            manifest_seen = True
            if set(o) != {"manifest", "signatures", "type"} or not isinstance(o["manifest"], dict) \
                    or set(o["manifest"]) != MANIFEST_KEYS or not isinstance(o["signatures"], list):
                return bad("malformed line", n, "members differ from the manifest line")
            m = o["manifest"]
            body = jcs(m).encode("utf-8")
            ok = False
            for s in o["signatures"]:
                if not isinstance(s, dict) or s.get("key_id") not in keys or not isinstance(s.get("signature"), str):
                    continue
                try:
                    keys[s["key_id"]].verify(b64(s["signature"]), body)
                    ok = True
                except (InvalidSignature, ValueError):
                    pass
            if not ok:
                return bad("manifest signature invalid", n, "no signature by a trusted key over the manifest")
            checks = [
                (m["format"] == EXPORT_FORMAT, "format"),
                (m["count"] == out["eventsChecked"], "count %s but %d event lines" % (m["count"], out["eventsChecked"])),
                (m["events_sha256"] == ev_hash.hexdigest(), "events_sha256 differs from the event lines"),
                (m["csv_sha256"] == csv_hash.hexdigest(), "csv_sha256 differs from the CSV view of the events"),
                (m["head_version"] == head["version"]
                 and m["head_sha256"] == hashlib.sha256(head["body"].encode("utf-8")).hexdigest(),
                 "the head differs from the head line"),
                (m["order"] == order, "order differs from the head line"),
            ]
            for good, why in checks:
                if not good:
                    return bad("manifest mismatch", n, why)
            continue
        if o.get("type") != "event" or set(o) != {"event", "proof", "tree_size", "type"} \
                or not isinstance(o["event"], dict):
            return bad("malformed line", n, "not an event line")
        v = o["event"]
        try:
            row = event_row(v)
        except Malformed as e:
            return bad("malformed line", n, str(e))
        sizes = {s[0]: (s[1], s[2]) for s in head["streams"]}
        entry = sizes.get(v["stream"])
        if entry is None or o["tree_size"] != entry[0] or row["seq"] > entry[0]:
            return bad("proof invalid", n, "%s:%d is not under the head's root of its stream" % (v["stream"], row["seq"]))
        if not recomputes(row["prev_hash"], row["seq"], row):
            return bad("event changed", n, "%s:%d does not hash to its hash" % (v["stream"], row["seq"]))
        if row["payload"] is not None:
            if row["salt"] is None or sha256(row["salt"], jcs(row["payload"]).encode("utf-8")) != row["digest"]:
                return bad("payload changed", n, "%s:%d: the payload does not match its digest" % (v["stream"], row["seq"]))
        else:
            purged += 1
        proof = o["proof"]
        if not isinstance(proof, list) or not all(isinstance(p, str) and HEX64.match(p) for p in proof):
            return bad("malformed line", n, "proof: not a list of 64 lower-case hex digits")
        if not verify_inclusion(row["seq"] - 1, entry[0], sha256(b"\x00", row["hash"]),
                                [bytes.fromhex(p) for p in proof], entry[1]):
            return bad("proof invalid", n, "%s:%d: the inclusion proof does not reach the head's root" % (v["stream"], row["seq"]))
        ref = (v["stream"], row["seq"])
        at = v["occurred_at"]
        if ref in seen or (prev_key is not None and at != prev_key and (at < prev_key) == (order == "asc")):
            return bad("order changed", n, "%s:%d is out of order or repeated" % ref)
        seen.add(ref)
        prev_key = at
        out["eventsChecked"] += 1
        ev_hash.update(raw + b"\n")
        csv_hash.update(csv_line(v).encode("utf-8"))
    if not manifest_seen:
        return bad("malformed line", None, "no manifest line (the export was cut short)")
    if purged:
        out["warnings"].append("%d payload(s) absent (purged); their digests are still proven" % purged)
    out["valid"] = True
    return out


def main(argv):
    p = argparse.ArgumentParser(description="Verify a ledgerflow evidence bundle offline.")
    p.add_argument("bundle")
    p.add_argument("--trusted-keys", required=True)
    p.add_argument("--trusted-checkpoint")
    p.add_argument("--json", action="store_true")
    try:
        args = p.parse_args(argv)
    except SystemExit:
        return 2
    try:
        keys = read_trusted_keys(args.trusted_keys)
        anchor = None
        if args.trusted_checkpoint:
            try:
                anchor = open(args.trusted_checkpoint, encoding="utf-8").read()
            except (OSError, UnicodeDecodeError):
                raise CannotRun("cannot read %s" % args.trusted_checkpoint)
        if os.path.isfile(args.bundle):
            out = verify_export(args.bundle, keys)
        else:
            out = verify(args.bundle, keys, anchor)
    except CannotRun as e:
        sys.stderr.write("ledgerflow_verify: %s\n" % e)
        return 2
    if args.json:
        sys.stdout.write(json.dumps(out) + "\n")
    elif out["valid"]:
        sys.stdout.write("valid: %d events\n" % out["eventsChecked"])
    elif "line" in out:
        sys.stdout.write("INVALID: %s at line %s: %s\n" % (out["fault"], out["line"], out["detail"]))
    else:
        sys.stdout.write("INVALID: %s in stream %s at seq %s: %s\n" % (out["fault"], out["stream"], out["firstBadSeq"], out["detail"]))
    return 0 if out["valid"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
