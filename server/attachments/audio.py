"""Validating voice recordings and stripping what their container says besides the sound (issue 16).

A recording is accepted when its bytes are, by their own structure (never by the declared type), one of:

- **WebM / Matroska with one Opus track**: what Chromium's ``MediaRecorder`` produces (``audio/webm;codecs=opus``).
- **Ogg with one Opus stream**: what Firefox records (``audio/ogg;codecs=opus``).

The check is pure Python (the embedded default: nothing to install): the container is parsed element by element
(EBML) or page by page (Ogg, CRC checked), every Opus packet's table of contents gives its length, so the
duration is counted from the sound itself, not from a header that could lie. Anything else (an HTML file renamed
``.webm``, a PNG, a zip, a video) is 422 ``not_audio``; longer than ``MAX_SECONDS`` is 422 ``audio_too_long``.

Metadata goes by rewriting the file with only what playing needs:

- WebM: the EBML header (versions and doc type), Segment Info with the time scale and the counted duration (a
  ``MediaRecorder`` file has none, so players show "∞" without it), the one audio track (number, UID, type,
  codec, codec private data, codec delay, seek pre-roll, sampling rate, channels), and the clusters (time code,
  blocks). Tags, titles, muxing and writing apps, dates, segment UIDs, attachments, chapters, cues, seek heads
  and void padding go.
- Ogg: the identification header as it is, the comment header replaced by an empty one (no vendor string, no
  comments), the audio pages as they were, renumbered with their CRCs recomputed.

Where ``ffprobe`` is installed and ``AUDIO_FFPROBE`` is set, the cleaned file is also read by it (a second
opinion: a file it cannot read as Opus audio is refused the same way).
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from dataclasses import dataclass

from flask import current_app, has_app_context

from ..errors import Unprocessable

MAX_SECONDS = 120
# MediaRecorder stops on a timer: a 2-minute recording may carry a few frames more.
_TOLERANCE_MS = 1500
MAX_BYTES = 2 * 1024 * 1024  # 120 s even at 128 kbit/s; the phone records at about 16 kbit/s (240 KB)
AUDIO_TYPES = ("audio/webm", "audio/ogg")
MAGIC = (b"\x1a\x45\xdf\xa3", b"OggS")  # an EBML header, an Ogg page


@dataclass(frozen=True)
class CleanAudio:
    data: bytes
    content_type: str
    duration_ms: int


class NotAudio(Unprocessable):
    code = "not_audio"
    message = "The file is not an Opus recording in WebM or Ogg."


class AudioTooLong(Unprocessable):
    code = "audio_too_long"
    message = f"Recordings are at most {MAX_SECONDS} seconds."


def clean(data: bytes) -> CleanAudio:
    """Check that ``data`` is an accepted recording, at most MAX_SECONDS long, and rewrite it without metadata."""
    if len(data) > MAX_BYTES:
        raise NotAudio(f"Recordings are at most {MAX_BYTES // 1024} KB.", code="audio_too_large")
    try:
        if data.startswith(MAGIC[0]):
            cleaned = _clean_webm(data)
        elif data.startswith(b"OggS"):
            cleaned = _clean_ogg(data)
        else:
            raise NotAudio()
    except (_Malformed, IndexError, struct.error, UnicodeDecodeError) as exc:
        raise NotAudio() from exc
    if cleaned.duration_ms <= 0:
        raise NotAudio("The recording holds no sound.")
    if cleaned.duration_ms > MAX_SECONDS * 1000 + _TOLERANCE_MS:
        raise AudioTooLong()
    _second_opinion(cleaned)
    return cleaned


class _Malformed(Exception):
    pass


def _need(condition: bool, why: str = "malformed") -> None:
    if not condition:
        raise _Malformed(why)


# --- Opus packets (RFC 6716 §3.1): each packet's first byte says how long it plays -------------------------------

# Frame length in units of 1/48 ms (48 kHz samples / 1000), by the TOC's configuration number.
_SILK = (480, 960, 1920, 2880)
_HYBRID = (480, 960)
_CELT = (120, 240, 480, 960)
_FRAME_SAMPLES = [_SILK[c % 4] for c in range(12)] + [_HYBRID[c % 2] for c in range(4)]
_FRAME_SAMPLES += [_CELT[c % 4] for c in range(16)]


def opus_packet_samples(packet: bytes) -> int:
    """How many 48 kHz samples one Opus packet plays (0 for an empty packet: a lost frame)."""
    if not packet:
        return 0
    toc = packet[0]
    frame = _FRAME_SAMPLES[toc >> 3]
    count = toc & 3
    if count == 0:
        frames = 1
    elif count in (1, 2):
        frames = 2
    else:
        _need(len(packet) >= 2, "opus code-3 packet without a frame count")
        frames = packet[1] & 0x3F
    _need(frames * frame <= 5760, "an Opus packet longer than 120 ms")
    return frames * frame


def _check_opus_head(head: bytes) -> int:
    """The OpusHead identification header (RFC 7845 §5.1); returns its pre-skip in samples."""
    _need(head.startswith(b"OpusHead") and len(head) >= 19, "no OpusHead")
    _need(head[8] & 0xF0 == 0, "unknown OpusHead version")
    channels = head[9]
    _need(1 <= channels <= 2, "mono or stereo only")
    _need(head[18] == 0 or (head[18] == 1 and len(head) == 21 + channels), "channel mapping")
    return int(struct.unpack_from("<H", head, 10)[0])


# --- EBML (WebM / Matroska) ---------------------------------------------------------------------------------

EBML = 0x1A45DFA3
SEGMENT = 0x18538067
INFO = 0x1549A966
TRACKS = 0x1654AE6B
CLUSTER = 0x1F43B675
TRACK_ENTRY = 0xAE
TIMECODE_SCALE = 0x2AD7B1
DURATION = 0x4489
TIMECODE = 0xE7
SIMPLE_BLOCK = 0xA3
BLOCK_GROUP = 0xA0
BLOCK = 0xA1
TRACK_NUMBER = 0xD7
TRACK_TYPE = 0x83
CODEC_ID = 0x86
CODEC_PRIVATE = 0x63A2
AUDIO = 0xE1
_UNKNOWN = -1
# The Segment's children: an element of unknown size (a live recording's cluster) ends where one of these starts.
_SEGMENT_CHILDREN = {
    0x114D9B74,  # SeekHead
    INFO,
    TRACKS,
    CLUSTER,
    0x1C53BB6B,  # Cues
    0x1254C367,  # Tags
    0x1941A469,  # Attachments
    0x1043A770,  # Chapters
    0xEC,  # Void
    0xBF,  # CRC-32
}
_EBML_HEADER_KEEP = {0x4286, 0x42F7, 0x42F2, 0x42F3, 0x4282, 0x4287, 0x4285}  # versions, lengths, doc type
_TRACK_KEEP = {
    TRACK_NUMBER,
    0x73C5,  # TrackUID
    TRACK_TYPE,
    CODEC_ID,
    CODEC_PRIVATE,
    0x56AA,  # CodecDelay
    0x56BB,  # SeekPreRoll
    0x9C,  # FlagLacing
    AUDIO,
}
_AUDIO_KEEP = {0xB5, 0x9F, 0x6264}  # SamplingFrequency, Channels, BitDepth
_BLOCK_GROUP_KEEP = {BLOCK, 0x9B, 0xFB, 0x75A2}  # Block, BlockDuration, ReferenceBlock, DiscardPadding


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int, int]:
    """An EBML variable-length integer at ``pos``: (value, length, all-ones flag)."""
    first = data[pos]
    _need(first != 0, "vint longer than 8 bytes")
    length = 9 - first.bit_length()
    _need(pos + length <= len(data), "truncated")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    all_ones = (first & (0xFF >> length)) == (0xFF >> length) and all(b == 0xFF for b in data[pos + 1 : pos + length])
    return value, length, int(all_ones)


def _element(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(id, start of the data, end of the data or _UNKNOWN) of the element at ``pos``."""
    element_id, id_len, _ = _vint(data, pos, keep_marker=True)
    _need(id_len <= 4, "element id longer than 4 bytes")
    size, size_len, unknown = _vint(data, pos + id_len, keep_marker=False)
    start = pos + id_len + size_len
    if unknown:
        return element_id, start, _UNKNOWN
    _need(start + size <= end, "element runs past its parent")
    return element_id, start, start + size


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """The (id, data start, data end) of every child of a known-size element."""
    out = []
    pos = start
    while pos < end:
        element_id, dstart, dend = _element(data, pos, end)
        _need(dend != _UNKNOWN, "unknown size inside a sized element")
        out.append((element_id, dstart, dend))
        pos = dend
    return out


def _uint(data: bytes, start: int, end: int) -> int:
    _need(end - start <= 8, "integer too long")
    return int.from_bytes(data[start:end], "big")


def _encode_size(size: int) -> bytes:
    for length in range(1, 9):
        if size < (1 << (7 * length)) - 1:
            return ((1 << (7 * length)) | size).to_bytes(length, "big")
    raise _Malformed("element too large")


def _write(element_id: int, payload: bytes) -> bytes:
    return element_id.to_bytes((element_id.bit_length() + 7) // 8, "big") + _encode_size(len(payload)) + payload


def _keep(data: bytes, children: list[tuple[int, int, int]], keep: set[int]) -> bytes:
    return b"".join(_write(i, data[s:e]) for i, s, e in children if i in keep)


@dataclass
class _Track:
    number: int
    entry: bytes
    pre_skip_ns: int


def _clean_webm(data: bytes) -> CleanAudio:
    element_id, start, end = _element(data, 0, len(data))
    _need(element_id == EBML and end != _UNKNOWN, "no EBML header")
    header = _children(data, start, end)
    doc_type = next((data[s:e].rstrip(b"\0") for i, s, e in header if i == 0x4282), b"")
    _need(doc_type in (b"webm", b"matroska"), "not a WebM or Matroska file")
    ebml_header = _write(EBML, _keep(data, header, _EBML_HEADER_KEEP))

    segment_id, pos, segment_end = _element(data, end, len(data))
    _need(segment_id == SEGMENT, "no Segment")
    if segment_end == _UNKNOWN:
        segment_end = len(data)
    timecode_scale = 1_000_000
    track: _Track | None = None
    clusters: list[bytes] = []
    first_ns: int | None = None
    end_ns = 0
    while pos < segment_end:
        if segment_end - pos < 2 and not any(data[pos:segment_end]):
            break  # zero padding at the very end
        element_id, dstart, dend = _element(data, pos, segment_end)
        if dend == _UNKNOWN:
            _need(element_id == CLUSTER, "unknown size outside a cluster")
            dend = _unknown_end(data, dstart, segment_end)
        if element_id == INFO:
            for i, s, e in _children(data, dstart, dend):
                if i == TIMECODE_SCALE:
                    timecode_scale = _uint(data, s, e)
                    _need(0 < timecode_scale <= 1_000_000_000, "time code scale")
        elif element_id == TRACKS:
            _need(track is None, "two Tracks elements")
            track = _audio_track(data, dstart, dend)
        elif element_id == CLUSTER:
            if track is None:
                raise _Malformed("a cluster before the tracks")
            cluster, span = _cluster(data, dstart, dend, track.number, timecode_scale)
            if span is not None:
                first_ns = span[0] if first_ns is None else min(first_ns, span[0])
                end_ns = max(end_ns, span[1])
            clusters.append(cluster)
        pos = dend
    if track is None or not clusters:
        raise _Malformed("no audio")
    duration_ns = max(0, end_ns - (first_ns or 0) - track.pre_skip_ns)
    info = _write(TIMECODE_SCALE, timecode_scale.to_bytes(4, "big"))
    info += _write(DURATION, struct.pack(">d", duration_ns / timecode_scale))
    body = _write(INFO, info) + _write(TRACKS, track.entry) + b"".join(clusters)
    return CleanAudio(ebml_header + _write(SEGMENT, body), "audio/webm", duration_ns // 1_000_000)


def _unknown_end(data: bytes, pos: int, end: int) -> int:
    """Where a cluster of unknown size ends: at the next element that belongs to the Segment, or the end."""
    while pos < end:
        element_id, _, dend = _element(data, pos, end)
        if element_id in _SEGMENT_CHILDREN:
            return pos
        _need(dend != _UNKNOWN, "unknown size inside a cluster")
        pos = dend
    return end


def _audio_track(data: bytes, start: int, end: int) -> _Track:
    entries = [(s, e) for i, s, e in _children(data, start, end) if i == TRACK_ENTRY]
    _need(len(entries) == 1, "exactly one track")
    s, e = entries[0]
    fields = _children(data, s, e)
    values = {i: data[fs:fe] for i, fs, fe in fields}
    _need(values.get(TRACK_TYPE) == b"\x02", "not an audio track")
    _need(values.get(CODEC_ID, b"").rstrip(b"\0") == b"A_OPUS", "not Opus")
    pre_skip = _check_opus_head(values.get(CODEC_PRIVATE, b""))
    number = int.from_bytes(values.get(TRACK_NUMBER, b""), "big")
    _need(number > 0, "no track number")
    entry = b""
    for i, fs, fe in fields:
        if i == AUDIO:
            entry += _write(AUDIO, _keep(data, _children(data, fs, fe), _AUDIO_KEEP))
        elif i in _TRACK_KEEP:
            entry += _write(i, data[fs:fe])
    codec_delay = int.from_bytes(values.get(0x56AA, b""), "big")
    # The decoder drops CodecDelay (in ns) at the start; without it, the OpusHead pre-skip says the same.
    return _Track(number, _write(TRACK_ENTRY, entry), codec_delay or pre_skip * 1_000_000 // 48_000)


def _cluster(data: bytes, start: int, end: int, track: int, scale: int) -> tuple[bytes, tuple[int, int] | None]:
    """A cluster with its time code and blocks only, and the (start, end) in ns of the sound it holds."""
    children = []
    pos = start
    while pos < end:
        element_id, dstart, dend = _element(data, pos, end)
        _need(dend != _UNKNOWN, "unknown size inside a cluster")
        children.append((element_id, dstart, dend))
        pos = dend
    codes = [_uint(data, s, e) for i, s, e in children if i == TIMECODE]
    _need(len(codes) == 1, "a cluster needs one time code")
    cluster_time = codes[0]
    out = _write(TIMECODE, cluster_time.to_bytes(8, "big").lstrip(b"\0") or b"\0")
    span: tuple[int, int] | None = None
    for element_id, s, e in children:
        if element_id == SIMPLE_BLOCK:
            block = (s, e)
            out += _write(SIMPLE_BLOCK, data[s:e])
        elif element_id == BLOCK_GROUP:
            group = _children(data, s, e)
            blocks = [(bs, be) for i, bs, be in group if i == BLOCK]
            _need(len(blocks) == 1, "a block group needs one block")
            block = blocks[0]
            out += _write(BLOCK_GROUP, _keep(data, group, _BLOCK_GROUP_KEEP))
        else:
            continue
        at, samples = _block(data, block[0], block[1], track)
        begin = (cluster_time + at) * scale
        finish = begin + samples * 1_000_000 // 48
        span = (begin, finish) if span is None else (min(span[0], begin), max(span[1], finish))
    return _write(CLUSTER, out), span


def _block(data: bytes, start: int, end: int, track: int) -> tuple[int, int]:
    """A (Simple)Block's relative time code and how many samples its Opus packets play."""
    number, length, _ = _vint(data, start, keep_marker=False)
    _need(number == track, "a block of another track")
    pos = start + length
    _need(pos + 3 <= end, "truncated block")
    relative = struct.unpack_from(">h", data, pos)[0]
    lacing = (data[pos + 2] >> 1) & 3
    payload = data[pos + 3 : end]
    _need(bool(payload), "empty block")
    if lacing == 0:
        return relative, opus_packet_samples(payload)
    # Laced blocks (never from MediaRecorder): count the frames, each as long as the first says.
    frames = payload[0] + 1
    return relative, frames * opus_packet_samples(payload[1:])


# --- Ogg (RFC 3533) with Opus (RFC 7845) ----------------------------------------------------------------------

_CRC_TABLE = []
for _n in range(256):
    _r = _n << 24
    for _ in range(8):
        _r = ((_r << 1) ^ 0x04C11DB7) if _r & 0x80000000 else (_r << 1)
    _CRC_TABLE.append(_r & 0xFFFFFFFF)


def _ogg_crc(page: bytes) -> int:
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) & 0xFF) ^ byte]
    return crc


@dataclass
class _Page:
    header_type: int
    granule: int
    serial: int
    segments: list[int]
    body: bytes


def _ogg_pages(data: bytes) -> list[_Page]:
    pages = []
    pos = 0
    while pos < len(data):
        _need(data[pos : pos + 4] == b"OggS" and data[pos + 4] == 0, "not an Ogg page")
        header_type, granule, serial, _seq, crc, count = struct.unpack_from("<BqIIIB", data, pos + 5)
        segments = list(data[pos + 27 : pos + 27 + count])
        _need(len(segments) == count, "truncated")
        length = 27 + count + sum(segments)
        _need(pos + length <= len(data), "truncated page")
        raw = bytearray(data[pos : pos + length])
        raw[22:26] = b"\0\0\0\0"
        _need(_ogg_crc(bytes(raw)) == crc, "bad page CRC")
        pages.append(_Page(header_type, granule, serial, segments, data[pos + 27 + count : pos + length]))
        pos += length
    return pages


def _ogg_packets(pages: list[_Page]) -> list[tuple[bytes, int]]:
    """Every packet, with the granule position of the page it ends on (-1 when that page ends none)."""
    packets: list[tuple[bytes, int]] = []
    current = b""
    for page in pages:
        offset = 0
        for lace in page.segments:
            current += page.body[offset : offset + lace]
            offset += lace
            if lace < 255:
                packets.append((current, -1))
                current = b""
        if packets and page.segments and page.segments[-1] < 255:
            packets[-1] = (packets[-1][0], page.granule)
    _need(current == b"", "a packet cut at the end")
    return packets


def _page_bytes(header_type: int, granule: int, serial: int, seq: int, packets: list[bytes]) -> bytes:
    lacing = bytearray()
    for packet in packets:
        lacing += b"\xff" * (len(packet) // 255) + bytes([len(packet) % 255])
    _need(len(lacing) <= 255, "too many segments")
    header = b"OggS\0" + struct.pack("<BqIIIB", header_type, granule, serial, seq, 0, len(lacing))
    page = bytearray(header + bytes(lacing) + b"".join(packets))
    page[22:26] = struct.pack("<I", _ogg_crc(bytes(page)))
    return bytes(page)


def _clean_ogg(data: bytes) -> CleanAudio:
    pages = _ogg_pages(data)
    _need(len({page.serial for page in pages}) == 1, "one logical stream only")
    packets = _ogg_packets(pages)
    _need(len(packets) >= 3, "no audio")
    head, tags = packets[0][0], packets[1][0]
    pre_skip = _check_opus_head(head)
    _need(tags.startswith(b"OpusTags"), "no OpusTags")
    serial = pages[0].serial
    final_granule = max(granule for _packet, granule in packets)
    batches: list[tuple[list[bytes], int]] = []
    samples = 0
    batch: list[bytes] = []
    for packet, _granule in packets[2:]:
        samples += opus_packet_samples(packet)
        batch.append(packet)
        if sum(len(p) // 255 + 1 for p in batch) > 200:
            batches.append((batch, samples))
            batch = []
    if batch:
        batches.append((batch, samples))
    # The last page's granule may end the stream early (end trimming): keep that, never count more than is played.
    played = min(samples, final_granule) if final_granule > 0 else samples
    out = [_page_bytes(0x02, 0, serial, 0, [head]), _page_bytes(0, 0, serial, 1, [b"OpusTags" + bytes(8)])]
    for seq, (packets_of_page, granule) in enumerate(batches, start=2):
        last = seq == len(batches) + 1
        out.append(_page_bytes(0x04 if last else 0, played if last else granule, serial, seq, packets_of_page))
    duration_ms = max(0, played - pre_skip) * 1000 // 48_000
    return CleanAudio(b"".join(out), "audio/ogg", duration_ms)


# --- a second opinion ------------------------------------------------------------------------------------------


def _second_opinion(cleaned: CleanAudio) -> None:
    """With AUDIO_FFPROBE set and ffprobe installed: ffprobe must read the cleaned file as one Opus stream."""
    if not (has_app_context() and current_app.config.get("AUDIO_FFPROBE")):
        return
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return
    try:
        result = subprocess.run(  # noqa: S603 (a fixed program and arguments; the bytes go in on stdin)
            [ffprobe, "-v", "error", "-show_streams", "-of", "json", "-i", "pipe:0"],
            input=cleaned.data,
            capture_output=True,
            timeout=20,
            check=False,
        )
        streams = json.loads(result.stdout or b"{}").get("streams", [])
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        raise NotAudio("The recording could not be read.") from exc
    if result.returncode != 0 or [s.get("codec_name") for s in streams] != ["opus"]:
        raise NotAudio()
