#!/usr/bin/env python3
"""Writes the canonical-byte vectors from the table in protocol/src/canonical.rs.

An independent second implementation of encoding v1: the Rust tests compare
the crate's output with the files this script writes. Run it only when a new
vector is added; the existing vectors must never change.
"""
import datetime
import hashlib
import struct
import uuid

SYMPTOM = {"fever": 1, "cough": 2, "pain": 3, "poor_appetite": 4, "insomnia": 5, "dizziness": 6, "other": 7}
SLOT = {"morning": 1, "noon": 2, "evening": 3, "bedtime": 4}
STATUS = {"taken": 1, "not_taken": 2}
CONDITION = {"good": 1, "fair": 2, "poor": 3}


def encode(event_id, recorded_at, c):
    parts = []

    def add(label, data):
        parts.append((label, data))

    add("domain", b"mimamori.check_in.v1\0")
    add("event id", uuid.UUID(event_id).bytes)
    t = datetime.datetime.fromisoformat(recorded_at)
    add("seconds", struct.pack(">q", int(t.timestamp() // 1)))
    add("nanoseconds", struct.pack(">I", t.microsecond * 1000))
    add("offset", struct.pack(">i", int(t.utcoffset().total_seconds())))
    add("resident", struct.pack(">Q", c["resident"]))
    add("condition", bytes([CONDITION[c["condition"]]]))
    s = sorted(SYMPTOM[x] for x in c.get("symptoms", []))
    add("symptoms", bytes([len(s)] + s))
    note = c.get("symptom_note")
    add("note", b"\0" if note is None else b"\1" + struct.pack(">I", len(note.encode())) + note.encode())
    m = sorted((SLOT[e["slot"]], STATUS[e["status"]]) for e in c.get("medication", []))
    add("medication", bytes([len(m)] + [b for pair in m for b in pair]))
    v = c.get("vitals", {})
    bp = v.get("blood_pressure")
    add("blood pressure", b"\0" if bp is None else b"\1" + struct.pack(">HH", bp["systolic_mmhg"], bp["diastolic_mmhg"]))
    add("pulse", b"\0" if "pulse_bpm" not in v else b"\1" + struct.pack(">H", v["pulse_bpm"]))
    add("temperature", b"\0" if "temperature_c" not in v else b"\1" + struct.pack(">i", round(v["temperature_c"] * 10)))
    add("weight", b"\0" if "weight_kg" not in v else b"\1" + struct.pack(">i", round(v["weight_kg"] * 10)))
    add("steps", b"\0" if "steps" not in v else b"\1" + struct.pack(">I", v["steps"]))
    add("call requested", bytes([1 if c.get("call_requested") else 0]))
    a = c["auth"]
    if a["method"] == "jpki":
        add("auth: jpki", b"\1" + bytes.fromhex(a["cert_fingerprint"]))
    else:
        uid = bytes.fromhex(a["uid"])
        add("auth: card uid", b"\2" + bytes([len(uid)]) + uid)
    return parts


VECTORS = {
    "minimal": ("00000000-0000-4000-8000-000000000001", "2026-11-29T08:15:00+09:00", {
        "resident": 1042, "condition": "good",
        "auth": {"method": "card_uid", "uid": "04A1B2C3"},
    }),
    "full": ("0f8fad5b-d9cb-469f-a165-70867728950e", "2026-11-29T08:15:00.500+09:00", {
        "resident": 7, "condition": "poor",
        "symptoms": ["other", "cough"], "symptom_note": "のどが痛い",
        "medication": [{"slot": "evening", "status": "not_taken"}, {"slot": "morning", "status": "taken"}],
        "vitals": {"blood_pressure": {"systolic_mmhg": 138, "diastolic_mmhg": 84}, "pulse_bpm": 72,
                   "temperature_c": 36.8, "weight_kg": 52.4, "steps": 3200},
        "call_requested": True,
        "auth": {"method": "jpki", "cert_fingerprint": hashlib.sha256(b"test certificate").hexdigest()},
    }),
}

for name, (eid, at, c) in VECTORS.items():
    parts = encode(eid, at, c)
    with open(f"{name}.hex", "w") as f:
        f.write(f"# canonical bytes v1 of the '{name}' check-in (see protocol/src/canonical.rs)\n")
        for label, data in parts:
            f.write(f"{data.hex(' '):<64} # {label}\n")
    with open(f"{name}.sha256", "w") as f:
        f.write(hashlib.sha256(b"".join(d for _, d in parts)).hexdigest() + "\n")
