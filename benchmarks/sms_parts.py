"""SMS parts per report for each encoding of the SMS fallback (issue 17), on the corpus of benchmarks/sms_corpus.py.

    python benchmarks/sms_parts.py [--small] [--price VND]

Encodings compared (a "part" is one SMS the carrier bills):
* ``plain_ucs2``: the baseline, the report's text (body, then the location on its own line) typed into an SMS as
  is: Vietnamese diacritics force UCS-2, 70 characters in one SMS, 67 a part when concatenated. No id, no MAC, no
  fields: the server could not even tell who sent it.
* ``plain_telex_gsm7``: the same text transliterated to Telex ASCII (``Đêm`` → ``DDeem``), GSM-7, 160 / 153. Also
  unauthenticated: what a careful villager could type by hand.
* ``codec_U``, ``codec_D``: the app's authenticated, encrypted body (server/sms/codec.py) with its text in UTF-16
  units or in the Vietnamese dictionary mode, in self-identifying parts of 160 GSM-7 characters (5 of header);
  ``codec`` is what the phone sends: per report, whichever of the two has fewer parts.
Every codec row carries the whole item (id, household, kind, fields, time, photos declared, the household's
signature when it has keys) and a 64-bit MAC, and is checked to decode back to the item.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import unicodedata
from pathlib import Path
from statistics import mean
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.live import percentile, write_results
from benchmarks.sms_corpus import reports, tips
from server.sms import codec

PRICE_VND = 300  # assumed price of one domestic SMS: Viettel, Vinaphone, MobiFone charge about 250–350 VND
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")
TONES = {"\u0300": "f", "\u0301": "s", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
MARKS = {"\u0302": None, "\u0306": "w", "\u031b": "w"}  # circumflex doubles the vowel; breve and horn add w


def text_of(item: dict[str, Any]) -> str:
    return item["body"] + ("\n" + item["location"] if item.get("location") else "")


def ucs2_parts(text: str) -> int:
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def telex(text: str) -> str:
    """Telex transliteration (``ươ`` → ``uow``, tone last): the ASCII a villager would type without diacritics."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in "đĐ":
            out.append("dd" if ch == "đ" else "DD")
            continue
        base, *marks = unicodedata.normalize("NFD", ch)
        letters, tone = base, ""
        for mark in marks:
            if mark in TONES:
                tone = TONES[mark]
            elif mark == "\u0302":
                letters = base + base.lower()
            elif mark in MARKS:
                letters = base + "w"
            else:
                letters += mark
        out.append(letters + tone)
    return "".join(out)


def gsm7_parts(text: str) -> int | None:
    septets = 0
    for ch in text:
        if ch in GSM7_BASIC:
            septets += 1
        elif ch in GSM7_EXTENDED:
            septets += 2
        else:
            return None  # the phone would switch the whole SMS to UCS-2
    return 1 if septets <= 160 else math.ceil(septets / 153)


# What phones send (codec version 2): a random 32-bit epoch and a step of the day's key chain.
CHAIN = (3_141_592_653, 12)


def measure(items: list[dict[str, Any]], price: int) -> dict[str, Any]:
    key = os.urandom(32)
    parts: dict[str, list[int]] = {
        "plain_ucs2": [],
        "plain_telex_gsm7": [],
        "codec_U": [],
        "codec_D": [],
        "codec": [],
    }
    chosen = {"D": 0, "U": 0}
    for item in items:
        text = text_of(item)
        parts["plain_ucs2"].append(ucs2_parts(text))
        transliterated = gsm7_parts(telex(text))
        parts["plain_telex_gsm7"].append(transliterated if transliterated is not None else ucs2_parts(text))
        for mode in codec.MODES:
            encoded = codec.encode(item, 4242, key, mode, CHAIN)
            parts[f"codec_{mode}"].append(len(encoded))
        best = codec.encode(item, 4242, key, chain=CHAIN)
        if codec.decode_parts(best, lambda _: key)[1] != item:
            raise SystemExit(f"report {item['id']} does not decode to itself")
        chosen[best[0][0]] += 1
        parts["codec"].append(len(best))
    baseline = mean(parts["plain_ucs2"])
    rows = []
    for name, counts in parts.items():
        rows.append(
            {
                "encoding": name,
                "mean_parts": round(mean(counts), 2),
                "p95_parts": percentile([float(c) for c in counts], 0.95),
                "max_parts": max(counts),
                "one_sms_share": round(sum(1 for c in counts if c == 1) / len(counts), 3),
                "vs_plain_ucs2": round(mean(counts) / baseline, 3),
                "vnd_per_report": round(mean(counts) * price),
                "vnd_per_1000_reports": round(mean(counts) * price * 1000),
            }
        )
    chars = [len(text_of(item)) for item in items]
    bands = {}
    for low, high in ((0, 150), (150, 250), (250, 350), (350, 10_000)):
        picked = [k for k, c in enumerate(chars) if low <= c < high]
        if picked:
            bands[f"{low}-{high}"] = {
                "reports": len(picked),
                "plain_ucs2": round(mean(parts["plain_ucs2"][k] for k in picked), 2),
                "codec": round(mean(parts["codec"][k] for k in picked), 2),
            }
    return {
        "reports": len(items),
        "price_vnd_per_sms_assumed": price,
        "text_chars_mean": round(mean(chars), 1),
        "text_chars_p95": percentile([float(c) for c in chars], 0.95),
        "signed_share": round(sum(1 for item in items if "signature" in item) / len(items), 3),
        "with_photos_share": round(sum(1 for item in items if item["attachments"]) / len(items), 3),
        "codec_mode_chosen": chosen,
        "by_text_length": bands,
        "rows": rows,
    }


def measure_tips(items: list[dict[str, Any]], price: int) -> dict[str, Any]:
    """Anonymous tips (no household, no time, but the mailbox's 96 bytes of keys), in clear and sealed to the
    commune's key (a box of random bytes: nothing for the dictionary to shorten)."""
    key = os.urandom(32)
    rows = []
    for name, picked in (
        ("tip_clear", [t for t in items if "sealed" not in t]),
        ("tip_sealed", [t for t in items if "sealed" in t]),
    ):
        counts = []
        for tip in picked:
            parts = codec.encode(tip, 4242, key, chain=CHAIN)
            if codec.decode_parts(parts, lambda _: key)[1] != tip:
                raise SystemExit(f"tip {tip['id']} does not decode to itself")
            counts.append(len(parts))
        rows.append(
            {
                "encoding": name,
                "tips": len(counts),
                "mean_parts": round(mean(counts), 2),
                "p95_parts": percentile([float(c) for c in counts], 0.95),
                "max_parts": max(counts),
                "vnd_per_tip": round(mean(counts) * price),
            }
        )
    return {"rows": rows}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="30 reports instead of 240")
    parser.add_argument("--price", type=int, default=PRICE_VND, help="VND per SMS (default %(default)s)")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    figures = measure(reports(30 if args.small else 240), args.price)
    figures["tips"] = measure_tips(tips(20 if args.small else 200), args.price)
    write_results("sms_parts", figures, args.out)
    print(f"\n{'encoding':<18} {'mean':>6} {'p95':>5} {'max':>4} {'1 SMS':>6} {'×UCS-2':>7} {'VND/report':>10}")
    for row in figures["rows"]:
        print(
            f"{row['encoding']:<18} {row['mean_parts']:>6} {row['p95_parts']:>5.0f} {row['max_parts']:>4} "
            f"{row['one_sms_share']:>6.0%} {row['vs_plain_ucs2']:>7} {row['vnd_per_report']:>10}"
        )
    for row in figures["tips"]["rows"]:
        head = f"{row['encoding']:<18} {row['mean_parts']:>6} {row['p95_parts']:>5.0f} {row['max_parts']:>4}"
        print(f"{head} {'':>6} {'':>7} {row['vnd_per_tip']:>10}")
    return figures


if __name__ == "__main__":
    main()
