#!/usr/bin/env python3
"""Writes the checked-in seed corpus (seeds/<target>/) from IRCC's real feed (crates/ircc-feed/snapshots/).

Run from anywhere: python3 crates/fuzz/make-seeds.py. It replaces the seeds of feed_bytes, timestamp and
page_token. The seeds of feed_rounds and profile_score (arbitrary-encoded structures) come from a fuzzing run's
corpus: merge it with a control file, then keep the 40 inputs that cover the most (a greedy cover):

    cargo fuzz run --fuzz-dir crates/fuzz -a -s none TARGET /tmp/merged crates/fuzz/corpus/TARGET -- \
        -merge=1 -merge_control_file=/tmp/control
    python3 crates/fuzz/make-seeds.py --pick TARGET /tmp/control
"""
import base64
import sys
import hashlib
import json
import pathlib
import re
import shutil

HERE = pathlib.Path(__file__).resolve().parent
SNAPSHOTS = HERE.parent / "ircc-feed" / "snapshots"
SEEDS = HERE / "seeds"
HTML_FIELDS = ("drawNumberURL", "mitext", "DrawText1")
DATE_FIELDS = ("drawDate", "drawDateFull", "drawDateTime", "drawCutOff", "drawDistributionAsOn")


def shape(text):
    """A spelling's shape: digits as 9, month names as M, so that one example of each spelling is kept."""
    text = re.sub(r"\d", "9", text)
    return re.sub(r"[A-Za-z]{3,}", lambda m: "M" if m.group(0).lower() not in ("at", "utc", "gmt") else m.group(0), text)


def write(target, name, data):
    d = SEEDS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def rounds():
    out = []
    for path in sorted(SNAPSHOTS.glob("*.json")):
        out.extend(json.loads(path.read_bytes())["rounds"])
    return out


def feed(rs, keep_html=False):
    rs = [r if keep_html else {k: v for k, v in r.items() if k not in HTML_FIELDS} for r in rs]
    return json.dumps({"classes": "wb-tables", "rounds": rs}, ensure_ascii=False, indent=1).encode()


def main():
    for target in ("feed_bytes", "timestamp", "page_token"):
        shutil.rmtree(SEEDS / target, ignore_errors=True)
    all_rounds = rounds()

    # feed_bytes: one round per distinct combination of date spellings, label and pool presence, plus a few feeds.
    seen = set()
    picked = []
    for r in all_rounds:
        key = (tuple(shape(str(r.get(f, ""))) for f in DATE_FIELDS), r.get("drawName"), bool(r.get("dd18")))
        if (key[0], bool(r.get("dd18"))) in seen and r.get("drawName") in {p.get("drawName") for p in picked}:
            continue
        seen.add((key[0], bool(r.get("dd18"))))
        picked.append(r)
    for r in picked[:40]:
        write("feed_bytes", f"round-{r['drawNumber']}.json", feed([r]))
    write("feed_bytes", "three-rounds-with-html.json", feed(all_rounds[:3], keep_html=True))
    write("feed_bytes", "91a-91b.json", feed([r for r in all_rounds if r["drawNumber"] in ("91a", "91b")][:2]))
    write("feed_bytes", "bom-empty.json", b"\xef\xbb\xbf" + json.dumps({"rounds": []}).encode())
    write("feed_bytes", "numbers-and-nulls.json",
          json.dumps({"rounds": [dict(picked[0], drawSize=500, drawCRS=None, dd18=True)]}).encode())

    # timestamp: every distinct spelling of a date or time in the feeds, and the readers' own examples.
    texts = {}
    for r in all_rounds:
        for f in DATE_FIELDS:
            t = str(r.get(f, ""))
            if t.strip():
                texts.setdefault(shape(t), t)
    extra = [
        "Wednesday, September 2, 2026 at 14:00:00 UTC", "Wed. Sept. 2, 2026 at 14:00 UTC",
        "2nd Sep 2026, 14:00 UTC", "2026-09-02T14:00:00.250+00:00", "2026-09-02T10:00:00-04:00",
        "September 2, 2026 at 10:00:00 EDT", "September\u00a02,\u00a02026 at 2:00\u202fp.m. UTC",
        "September 2, 2026 at 10:30 NDT", "September 2, 2026 at 10:00 UTC-4", "2026/09/02 14:00 UTC",
        "October 7 at 16:38:21 UTC", "February 29 at 10:00:00 UTC", "Monday, August 3, 2026", "Aug. 3rd, 2026",
        "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "+262142-12-31 23:00 UTC",
    ]
    for t in list(texts.values()) + extra:
        write("timestamp", hashlib.sha1(t.encode()).hexdigest()[:12], t.encode())

    # page_token: real tokens (for the filter the bytes after the NUL make; the empty filter for none), then those
    # bytes.
    def fnv(text):
        h = 0xCBF29CE484222325
        for b in text.encode():
            h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        return h

    def token(canonical, seconds, key):
        raw = f"p1:{fnv(canonical):016x}:{seconds}:{key}".encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    empty = "|||0|0|0"
    for seconds, key in [(1_700_000_000, 252 * 32), (1_422_748_800, 32), (253_402_300_799, 4_294_967_295),
                         (-62_135_596_800, 0), (1_785_000_000, 91 * 32 + 1)]:
        write("page_token", f"token-{seconds}-{key}", token(empty, seconds, key))
    write("page_token", "forged-year", token(empty, 8_000_000_000_000, 1))
    write("page_token", "other-filter", token("general|||0|0|0", 1_700_000_000, 32) + b"\x00\x01\x00")
    write("page_token", "empty", b"")


def pick(target, control, count=40):
    """The `count` inputs of a merge control file that add the most coverage (then features), as seeds/<target>/."""
    lines = pathlib.Path(control).read_text().splitlines()
    n = int(lines[0])
    files = lines[2:2 + n]
    features, cov = {}, {}
    for line in lines[2 + n:]:
        parts = line.split()
        if parts[0] == "FT":
            features[int(parts[1])] = set(parts[2:])
        elif parts[0] == "COV":
            cov[int(parts[1])] = set(parts[2:])
    chosen, got_cov, got_ft = [], set(), set()
    for _ in range(count):
        best = max(features, key=lambda i: (len(cov.get(i, set()) - got_cov), len(features[i] - got_ft)))
        if not (cov.get(best, set()) - got_cov) and not (features[best] - got_ft):
            break
        chosen.append(best)
        got_cov |= cov.get(best, set())
        got_ft |= features[best]
    shutil.rmtree(SEEDS / target, ignore_errors=True)
    for i in chosen:
        write(target, pathlib.Path(files[i]).name, pathlib.Path(files[i]).read_bytes())
    print(f"{target}: {len(chosen)} seeds")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--pick"]:
        pick(sys.argv[2], sys.argv[3])
    else:
        main()
