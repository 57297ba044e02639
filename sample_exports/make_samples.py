"""Write the hand-crafted demo downloads in this folder, deterministically.

    python -m sample_exports.make_samples      (from the repository's root)

Three downloads of one person, "Jordan Lee" (Instagram display name "Jordan L."):

- ``facebook-jordanlee-2025/``   Meta DYI JSON, Facebook 2025 layout (mojibake strings)
- ``instagram-jordan.lee-2024/`` Meta DYI JSON, Instagram 2024 layout (mojibake strings)
- ``messenger-secure-2024/``     Messenger encrypted-chats download (clean UTF-8, flat)

Everything is fixed data: timestamps come from the dates written below plus
arithmetic gaps, pictures are drawn with Pillow from shapes and seeded random
numbers, and the video (a boat crossing a bay, 3 s) is written by the small
H.264/MP4 writer below, so running the script twice (with the same Pillow)
gives the same bytes. The script deletes and rewrites only the three download folders and
README.md, then reads the files back, checks them (JSON parses, mojibake repairs to
the intended text, referenced media present or deliberately missing) and writes the
counts into README.md.
"""

from __future__ import annotations

import io
import json
import math
import random
import shutil
import struct
import wave
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw

from tests.support.downloads import write_meta_json, write_thread

HERE = Path(__file__).resolve().parent
FB_ROOT = HERE / "facebook-jordanlee-2025"
IG_ROOT = HERE / "instagram-jordan.lee-2024"
SECURE_ROOT = HERE / "messenger-secure-2024"

# Who is who, per platform. "J" is the owner of all three downloads.
PEOPLE = {
    "A": "Ana María González",
    "B": "Bartłomiej Nowak",
    "Z": "Zoë Martin",
    "P": "Priya Raman",
    "T": "Tom Becker",
    "L": "Lukas Schmidt",
    "M": "Maya Chen",
    "S": "Sofia Rossi",
}
OWNER = {"facebook": "Jordan Lee", "instagram": "Jordan L.", "messenger": "Jordan Lee"}


def name(who: str, platform: str) -> str:
    return OWNER[platform] if who == "J" else PEOPLE[who]


# --------------------------------------------------------------------------- images
# Pictures a few hundred pixels wide, drawn with Pillow from shapes and a seeded
# random number generator (no photograph, nobody's likeness), so the reader's
# viewer and the HTML export have something worth looking at. Same Pillow, same
# bytes: JPEGs are written without optimisation or EXIF, PNG and GIF without dates.

W, H = 480, 360


def _sky(draw: ImageDraw.ImageDraw, top: tuple, bottom: tuple, height: int) -> None:
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line([(0, y), (W, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))


def _jpeg_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82, optimize=False, progressive=False)
    return out.getvalue()


def draw_sunset() -> bytes:
    """A sunset over the river from a viewpoint: sky, sun, water, roofs."""
    image = Image.new("RGB", (W, H))
    draw = ImageDraw.Draw(image)
    _sky(draw, (70, 50, 120), (250, 170, 80), 220)
    draw.ellipse([300, 150, 370, 220], fill=(255, 215, 120))
    for y in range(220, H):
        t = (y - 220) / (H - 220)
        draw.line([(0, y), (W, y)], fill=(round(200 - 120 * t), round(110 - 60 * t), round(90 - 20 * t)))
    rng = random.Random(1)
    for y in range(226, H, 6):      # the sun's reflection, in broken strokes
        half = 10 + (y - 226) // 5
        x = 335 + rng.randint(-6, 6)
        draw.line([(x - half, y), (x + half, y)], fill=(255, 200, 120), width=2)
    x = 0
    while x < W:                    # the roofs in front, dark against the light
        w, h = rng.randint(26, 60), rng.randint(40, 110)
        draw.rectangle([x, H - h, x + w, H], fill=(50, 30, 45))
        draw.polygon([(x - 4, H - h), (x + w // 2, H - h - 16), (x + w + 4, H - h)], fill=(70, 35, 40))
        x += w + rng.randint(0, 6)
    return _jpeg_bytes(image)


def draw_garden() -> bytes:
    """A garden viewpoint in the morning: trees, a lawn, the city behind."""
    image = Image.new("RGB", (W, H))
    draw = ImageDraw.Draw(image)
    _sky(draw, (150, 195, 235), (225, 235, 240), 170)
    rng = random.Random(2)
    for x in range(0, W, 22):       # the city beyond
        h = rng.randint(20, 60)
        draw.rectangle([x, 170 - h, x + 20, 170], fill=rng.choice([(235, 225, 200), (240, 200, 160), (220, 220, 225)]))
        draw.polygon([(x, 170 - h), (x + 10, 162 - h), (x + 20, 170 - h)], fill=(190, 90, 60))
    draw.rectangle([0, 170, W, H], fill=(90, 160, 70))
    for _ in range(26):             # trees
        x, y, r = rng.randint(-20, W), rng.randint(150, 300), rng.randint(25, 55)
        draw.rectangle([x - 4, y, x + 4, y + r + 20], fill=(90, 65, 40))
        green = (rng.randint(30, 70), rng.randint(110, 160), rng.randint(40, 70))
        draw.ellipse([x - r, y - r, x + r, y + r // 2], fill=green)
    draw.rectangle([0, 320, W, H], fill=(200, 185, 150))   # the path
    return _jpeg_bytes(image)


def draw_mountains(seed: int, sky: tuple, ground: tuple) -> bytes:
    """Ridges fading into the distance, snow on the farthest."""
    image = Image.new("RGB", (W, H))
    draw = ImageDraw.Draw(image)
    _sky(draw, sky, (235, 240, 245), 250)
    rng = random.Random(seed)
    for layer in range(4):
        base = 140 + layer * 55
        shade = tuple(round(c * (0.55 + 0.15 * (3 - layer)) + 90 * (3 - layer) / 3 * 0.6)
                      for c in ground)
        points, x, y = [(0, H)], 0, base
        while x <= W + 40:
            points.append((x, y))
            x += rng.randint(20, 50)
            y = max(60, min(H - 20, base + rng.randint(-45, 45)))
        points.append((W, H))
        draw.polygon(points, fill=shade)
        if layer == 0:              # snow on the peaks of the farthest ridge
            for x1, y1 in points[1:-2]:
                if y1 < base - 20:
                    draw.polygon([(x1 - 12, y1 + 14), (x1, y1), (x1 + 12, y1 + 14)], fill=(245, 245, 250))
    return _jpeg_bytes(image)


def draw_city() -> bytes:
    """A view from a window over roofs and the river."""
    image = Image.new("RGB", (W, H))
    draw = ImageDraw.Draw(image)
    _sky(draw, (120, 180, 235), (215, 230, 245), 200)
    draw.rectangle([0, 150, W, 200], fill=(70, 120, 170))              # the river
    draw.polygon([(0, 150), (W, 140), (W, 150)], fill=(150, 150, 140))  # the far bank
    rng = random.Random(4)
    x = -10
    while x < W:
        w, h = rng.randint(40, 80), rng.randint(120, 200)
        wall = rng.choice([(240, 230, 210), (245, 205, 160), (200, 215, 225), (235, 180, 170)])
        draw.rectangle([x, H - h, x + w, H], fill=wall)
        draw.polygon([(x - 3, H - h), (x + w // 2, H - h - 22), (x + w + 3, H - h)], fill=(185, 85, 55))
        for wy in range(H - h + 14, H - 10, 26):
            for wx in range(x + 8, x + w - 12, 18):
                draw.rectangle([wx, wy, wx + 9, wy + 14], fill=(60, 70, 90))
        x += w
    draw.rectangle([0, 0, W - 1, H - 1], outline=(250, 250, 250), width=14)   # the window frame
    return _jpeg_bytes(image)


def draw_room() -> bytes:
    """A small bright room: a window, a bed, a plant."""
    image = Image.new("RGB", (W, H))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, W, 260], fill=(238, 228, 210))     # wall
    draw.rectangle([0, 260, W, H], fill=(170, 120, 80))      # floor
    for x in range(0, W, 40):
        draw.line([(x, 260), (x - 30, H)], fill=(150, 100, 65), width=2)
    draw.rectangle([280, 40, 430, 190], fill=(150, 200, 240), outline=(255, 255, 255), width=8)
    draw.line([(355, 40), (355, 190)], fill=(255, 255, 255), width=6)
    draw.rectangle([40, 200, 260, 290], fill=(90, 110, 160))   # bed
    draw.rectangle([40, 180, 110, 215], fill=(245, 245, 240))  # pillow
    draw.rectangle([30, 150, 44, 300], fill=(120, 80, 50))
    draw.rectangle([400, 250, 450, 310], fill=(200, 110, 70))  # pot
    for angle, length in ((-60, 70), (-30, 80), (0, 90), (30, 80), (60, 70)):
        rad = math.radians(angle - 90)
        draw.line([(425, 250), (425 + length * math.cos(rad), 250 + length * math.sin(rad))],
                  fill=(50, 130, 60), width=9)
    return _jpeg_bytes(image)


def draw_badge() -> bytes:
    """A profile picture: a film camera on a plain background."""
    image = Image.new("RGB", (320, 320), (240, 200, 120))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([50, 100, 270, 240], radius=18, fill=(50, 50, 55))
    draw.rectangle([80, 80, 140, 100], fill=(50, 50, 55))
    draw.ellipse([115, 115, 205, 205], fill=(200, 200, 205))
    draw.ellipse([130, 130, 190, 190], fill=(30, 40, 70))
    draw.ellipse([148, 142, 162, 156], fill=(230, 240, 255))
    return _jpeg_bytes(image)


def draw_sticker() -> bytes:
    """A sticker: a smiling sun on a transparent background."""
    image = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for k in range(12):
        a = math.radians(k * 30)
        draw.line([(80 + 50 * math.cos(a), 80 + 50 * math.sin(a)),
                   (80 + 76 * math.cos(a), 80 + 76 * math.sin(a))], fill=(255, 170, 0, 255), width=8)
    draw.ellipse([32, 32, 128, 128], fill=(255, 205, 40, 255), outline=(230, 140, 0, 255), width=4)
    draw.ellipse([58, 62, 70, 78], fill=(60, 40, 20, 255))
    draw.ellipse([90, 62, 102, 78], fill=(60, 40, 20, 255))
    draw.arc([55, 70, 105, 112], 20, 160, fill=(60, 40, 20, 255), width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def draw_gif() -> bytes:
    """An animated GIF: a ball bouncing across a floor, eight frames."""
    frames = []
    for k in range(8):
        image = Image.new("RGB", (240, 180), (250, 245, 230))
        draw = ImageDraw.Draw(image)
        draw.rectangle([0, 150, 240, 180], fill=(120, 170, 90))
        x = 20 + k * 26
        y = 40 + round(100 * abs(((k % 4) - 2) / 2)) if k % 4 else 130
        draw.ellipse([x, y - 20, x + 40, y + 20], fill=(220, 60, 80), outline=(150, 30, 50), width=3)
        frames.append(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=32))
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=120, loop=0)
    return out.getvalue()


def draw_voice(seconds: float = 3.0, rate: int = 8000) -> bytes:
    """A voice message's stand-in: a WAV of rising and falling tones."""
    samples = bytearray()
    for i in range(int(seconds * rate)):
        t = i / rate
        pitch = 220 + 80 * math.sin(2 * math.pi * 0.7 * t)
        level = 0.5 * (1 - abs(math.sin(math.pi * 2.5 * t)) ** 8)
        samples += struct.pack("<h", round(12000 * level * math.sin(2 * math.pi * pitch * t)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(samples))
    return out.getvalue()


IMG_SUNSET = draw_sunset()
IMG_TOREL = draw_garden()
IMG_GROUP = draw_mountains(3, (110, 160, 220), (60, 110, 70))
IMG_PROFILE = draw_badge()
IMG_FLAT_VIEW = draw_city()
IMG_HIKE = draw_mountains(5, (90, 150, 220), (80, 100, 70))
IMG_ROOM = draw_room()
STICKER = draw_sticker()
GIF = draw_gif()
VOICE = draw_voice()


# --------------------------------------------------------------------------- video
# A short MP4 the browser plays and the reader times: H.264 (Baseline) whose
# macroblocks are all I_PCM (raw samples, no transform or entropy coding to
# write), each frame after the first coding only the macroblocks that changed
# and skipping the rest, in an MP4 written box by box.


class _Bits:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def u(self, n: int, value: int) -> None:
        self.bits.extend((value >> (n - 1 - i)) & 1 for i in range(n))

    def ue(self, value: int) -> None:
        x = value + 1
        self.u(2 * x.bit_length() - 1, x)

    def align_zero(self) -> None:
        self.bits.extend([0] * (-len(self.bits) % 8))

    def raw(self, data: bytes) -> None:
        assert len(self.bits) % 8 == 0
        for byte in data:
            self.u(8, byte)

    def trailing(self) -> bytes:
        self.bits.append(1)
        self.align_zero()
        return bytes(int("".join(map(str, self.bits[i:i + 8])), 2)
                     for i in range(0, len(self.bits), 8))


def _nal(header: int, rbsp: bytes) -> bytes:
    out = bytearray([header])
    zeros = 0
    for byte in rbsp:
        if zeros == 2 and byte <= 3:  # emulation prevention
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _macroblocks(image: Image.Image) -> list[bytes]:
    """Each 16×16 macroblock's samples as I_PCM writes them: 256 luma, 64 Cb, 64 Cr."""
    y, cb, cr = image.convert("YCbCr").split()
    half = (image.width // 2, image.height // 2)
    cb, cr = cb.resize(half, Image.Resampling.BOX), cr.resize(half, Image.Resampling.BOX)
    planes = [bytes(max(1, v) for v in p.tobytes()) for p in (y, cb, cr)]  # no 0 sample
    out = []
    for my in range(image.height // 16):
        for mx in range(image.width // 16):
            block = bytearray()
            for plane, size, width in ((planes[0], 16, image.width), (planes[1], 8, half[0]),
                                       (planes[2], 8, half[0])):
                for row in range(size):
                    start = (my * size + row) * width + mx * size
                    block += plane[start:start + size]
            out.append(bytes(block))
    return out


def h264_frames(frames: list[Image.Image]) -> tuple[bytes, bytes, list[bytes]]:
    """SPS, PPS and one access unit (one slice NAL) per frame."""
    width, height = frames[0].size
    sps = _Bits()
    sps.u(8, 66)                  # Baseline
    sps.u(8, 0xC0)                # constraint_set0 and 1
    sps.u(8, 30)                  # level 3.0
    sps.ue(0)                     # seq_parameter_set_id
    sps.ue(0)                     # log2_max_frame_num - 4: frame_num in 4 bits
    sps.ue(2)                     # pic_order_cnt_type 2: shown in decoding order
    sps.ue(1)                     # one reference frame
    sps.u(1, 0)
    sps.ue(width // 16 - 1)
    sps.ue(height // 16 - 1)
    sps.u(1, 1)                   # frame_mbs_only
    sps.u(1, 1)                   # direct_8x8_inference
    sps.u(1, 0)                   # no cropping
    sps.u(1, 0)                   # no VUI
    pps = _Bits()
    pps.ue(0)
    pps.ue(0)
    pps.u(1, 0)                   # CAVLC
    pps.u(1, 0)
    pps.ue(0)                     # one slice group
    pps.ue(0)
    pps.ue(0)
    pps.u(1, 0)
    pps.u(2, 0)
    pps.ue(0)                     # pic_init_qp - 26 (se(0) is ue(0))
    pps.ue(0)
    pps.ue(0)
    pps.u(1, 1)                   # deblocking control present
    pps.u(1, 0)
    pps.u(1, 0)
    units = []
    previous: list[bytes] | None = None
    for number, frame in enumerate(frames):
        blocks = _macroblocks(frame)
        s = _Bits()
        s.ue(0)                                   # first_mb_in_slice
        s.ue(7 if previous is None else 5)        # I or P, every slice
        s.ue(0)                                   # pps id
        s.u(4, number % 16)                       # frame_num
        if previous is None:
            s.ue(0)                               # idr_pic_id
            s.u(1, 0)                             # no_output_of_prior_pics
            s.u(1, 0)                             # long_term_reference
        else:
            s.u(1, 0)                             # num_ref_idx_active_override
            s.u(1, 0)                             # ref_pic_list_modification_l0
            s.u(1, 0)                             # adaptive_ref_pic_marking
        s.ue(0)                                   # slice_qp_delta
        s.ue(1)                                   # deblocking off: PCM is exact
        skipped = 0
        for i, block in enumerate(blocks):
            if previous is not None and previous[i] == block:
                skipped += 1                      # P_Skip: the reference's samples
                continue
            if previous is not None:
                s.ue(skipped)
                skipped = 0
            s.ue(25 if previous is None else 30)  # I_PCM
            s.align_zero()
            s.raw(block)
        if skipped:
            s.ue(skipped)
        units.append(_nal(0x65 if previous is None else 0x41, s.trailing()))
        previous = blocks
    return _nal(0x67, sps.trailing()), _nal(0x68, pps.trailing()), units


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def mp4(frames: list[Image.Image], fps: int) -> bytes:
    """An MP4 of ``frames`` at ``fps`` frames a second."""
    width, height = frames[0].size
    sps, pps, units = h264_frames(frames)
    samples = [struct.pack(">I", len(u)) + u for u in units]
    duration_ms = 1000 * len(frames) // fps
    avcc = _box(b"avcC", bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1]),
                struct.pack(">H", len(sps)), sps, b"\x01", struct.pack(">H", len(pps)), pps)
    avc1 = _box(b"avc1", bytes(6), struct.pack(">H", 1), bytes(16),
                struct.pack(">HHIIIH", width, height, 0x480000, 0x480000, 0, 1),
                bytes(32), struct.pack(">Hh", 0x18, -1), avcc)

    def moov(offset: int) -> bytes:
        stbl = _box(b"stbl",
                    _full(b"stsd", 0, 0, struct.pack(">I", 1), avc1),
                    _full(b"stts", 0, 0, struct.pack(">III", 1, len(frames), 1000 // fps)),
                    _full(b"stss", 0, 0, struct.pack(">II", 1, 1)),
                    _full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(frames), 1)),
                    _full(b"stsz", 0, 0, struct.pack(">II", 0, len(samples)),
                          b"".join(struct.pack(">I", len(x)) for x in samples)),
                    _full(b"stco", 0, 0, struct.pack(">II", 1, offset)))
        minf = _box(b"minf", _full(b"vmhd", 0, 1, bytes(8)),
                    _box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1),
                                        _full(b"url ", 0, 1))), stbl)
        mdia = _box(b"mdia",
                    _full(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, 1000, duration_ms,
                                                     0x55C4, 0)),
                    _full(b"hdlr", 0, 0, bytes(4), b"vide", bytes(12), b"VideoHandler\x00"),
                    minf)
        tkhd = _full(b"tkhd", 0, 3, struct.pack(">IIIII", 0, 0, 1, 0, duration_ms), bytes(8),
                     struct.pack(">hhhh", 0, 0, 0, 0), _MATRIX,
                     struct.pack(">II", width << 16, height << 16))
        mvhd = _full(b"mvhd", 0, 0, struct.pack(">IIIIIH", 0, 0, 1000, duration_ms, 0x10000,
                                                 0x100), bytes(10), _MATRIX, bytes(24),
                     struct.pack(">I", 2))
        return _box(b"moov", mvhd, _box(b"trak", tkhd, mdia))

    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 512), b"isomiso2avc1mp41")
    size = len(moov(0))
    return ftyp + moov(len(ftyp) + size + 8) + _box(b"mdat", *samples)


def draw_boat_video(seconds: int = 3, fps: int = 10) -> bytes:
    """A boat sailing across a bay under a low sun, 192×144."""
    frames = []
    for k in range(seconds * fps):
        image = Image.new("RGB", (192, 144))
        draw = ImageDraw.Draw(image)
        for y in range(90):
            t = y / 89
            draw.line([(0, y), (192, y)], fill=(round(120 + 120 * t), round(170 + 40 * t), 235))
        draw.ellipse([140, 40, 164, 64], fill=(255, 225, 140))
        draw.rectangle([0, 90, 192, 144], fill=(40, 100, 160))
        x = 10 + k * 5
        draw.polygon([(x, 100), (x + 40, 100), (x + 32, 110), (x + 8, 110)], fill=(120, 70, 40))
        draw.polygon([(x + 20, 60), (x + 20, 98), (x + 40, 98)], fill=(245, 245, 240))
        draw.line([(x + 19, 58), (x + 19, 100)], fill=(80, 50, 30), width=2)
        frames.append(image)
    return mp4(frames, fps)


BOAT_VIDEO = draw_boat_video()
PACKING_LIST = (
    "Packing list — kayaking on the Tejo, Saturday 8 June\n"
    "- sunscreen (Jordan, this means you)\n"
    "- water, 1.5 L each\n"
    "- sandes and fruit\n"
    "- dry bag for phones\n"
    "- towel and a change of clothes\n"
).encode()

# --------------------------------------------------------------------------- messages


@dataclass
class Msg:
    who: str
    text: str | None = None
    gap: int | None = None        # seconds after the previous message of the session
    same: bool = False            # exactly the same timestamp_ms as the previous message
    react: tuple = ()             # ((who, emoji), ...)
    photo: tuple | None = None    # (file name, image bytes)
    audio: tuple | None = None    # (file name, sound bytes)
    video: str | None = None      # file name; the file is deliberately NOT in the download
    clip: tuple | None = None     # (file name, video bytes): a video that is in the download
    gif: str | None = None
    sticker: str | None = None
    file: str | None = None
    share: dict | None = None
    call: int | None = None       # call_duration seconds
    missed: bool = False
    users: tuple = ()
    unsent: bool = False
    only: str | None = None       # "facebook" / "instagram" for the cross-app thread
    media: str | None = None      # encrypted-chat media file name, or FAILED
    link: bool = False            # encrypted-chat "link" message
    ts: int = 0                   # filled in by timeline()


FAILED = "Failed to download media"


def m(who: str, text: str | None = None, **kw) -> Msg:
    return Msg(who, text, **kw)


def timeline(sessions: list[tuple[str, list[Msg]]], salt: int) -> list[Msg]:
    """Give every message an epoch-ms timestamp, oldest first. Gaps are arithmetic, not random."""
    out: list[Msg] = []
    k = 0
    for start, msgs in sessions:
        sec = int(datetime.strptime(start, "%Y-%m-%d %H:%M").replace(tzinfo=UTC).timestamp())
        sec += (k * 13 + salt) % 60
        for i, msg in enumerate(msgs):
            if msg.same:
                msg.ts = out[-1].ts
            else:
                if i:
                    sec += msg.gap if msg.gap is not None else 20 + (k * 37 + salt) % 150
                msg.ts = sec * 1000 + (k * 379 + salt * 7) % 1000
                assert not out or msg.ts > out[-1].ts, (start, msg.text)
            out.append(msg)
            k += 1
    return out


ANA = timeline([
    ("2016-01-01 00:03", [
        m("A", "¡Feliz año nuevo, Jordan! 🎉🥂"),
        m("J", "Feliz año! Happy 2016 from a very loud Lisbon 🎆"),
        m("A", "jajaja I can hear the fireworks through the phone"),
        m("A", "Madrid is freezing ❄️ I miss the Lisbon sun already"),
        m("J", "Come back! The pastéis de nata miss you too"),
        m("A", "Don't tempt me 😅"),
    ]),
    ("2016-01-17 19:42", [
        m("A", "Did the package arrive? Correos says it was delivered"),
        m("J", "Yes!! The turrón is already half gone"),
        m("A", "Jordan!! It was supposed to last the whole month"),
        m("J", "I have no self-control, you know this", react=(("A", "😆"),)),
        m("A", "😂😂😂"),
    ]),
    ("2016-03-08 11:15", [
        m("J", "Thinking of Sevilla for Semana Santa. Is that crazy?"),
        m("A", "Crazy busy but worth it. Stay in Triana, not the centre"),
        m("J", "Triana, noted. Somewhere to eat?"),
        m("A", "Casa Cuesta. Order the espinacas con garbanzos. Trust me."),
        m("J", "Trusting you 🙏"),
    ]),
    ("2016-03-26 21:30", [
        m("J", "Espinacas con garbanzos = life-changing", react=(("A", "❤"),)),
        m("A", "TOLD YOU"),
        m("A", "Did you see a procession at night?"),
        m("J", "We did. The silence when it passed was unreal, goosebumps."),
        m("A", "That's Sevilla ✨"),
    ]),
    # 23:40 UTC on 14 July is 00:40 on 15 July in Lisbon (UTC+1 in summer).
    ("2016-07-14 23:40", [
        m("A", "Are you awake?"),
        m("J", "Always. What's up?"),
        m("A", "I got the job in Barcelona!!! 😭🎉"),
        m("J", "WHAT. Ana that's huge!!! Congratulations!!!", react=(("A", "❤"),)),
        m("A", "I start in September. I'm terrified"),
        m("J", "You'll be brilliant. So proud of you."),
    ]),
    ("2016-09-05 06:12", [
        m("A", "First day today. Wish me luck 🍀"),
        m("J", "¡Suerte! You've got this 💪"),
    ]),
    ("2016-09-05 19:31", [
        m("A", "Survived. Everyone speaks Catalan at lunch and I understand maybe 40%"),
        m("J", "40% on day one is a pass"),
        m("A", "jajaja generous grading"),
    ]),
    ("2016-12-24 18:02", [
        m("J", "Feliz Navidad to you and the whole González clan 🎄"),
        m("A", "¡Feliz Navidad! Mamá says hi and asks when you're visiting"),
        m("J", "Tell her Easter, I promise"),
        m("A", "She's writing it on the calendar. You can't escape now 📅"),
    ]),
    ("2017-02-11 16:20", [
        m("A", "The video call ended.", call=754),
        m("J", "So good to see your face! The new flat is gorgeous", gap=40),
        m("A", "Right? The balcony is tiny but it gets sun all afternoon ☀️"),
        m("J", "Balcony envy"),
    ]),
    ("2017-04-14 10:05", [
        m("A", "Mamá's list for tomorrow, since you offered to help 😇\n- tomatoes\n"
               "- queso manchego\n- 2 bottles of vinho verde (she insists)\n- flowers for tía Carmen"),
        m("J", "On it. Vinho verde I can do, I'm Portuguese by adoption"),
        m("A", "👍"),
    ]),
    ("2017-04-16 22:10", [
        m("J", "Thank you for having me. Your mom's cooking should be illegal"),
        m("A", "She already asked if you're coming back next year 😂"),
        m("J", "Tell her yes. Obviously."),
    ]),
    ("2017-10-02 18:45", [
        m("A", "Have you seen this?? https://www.theguardian.com/travel/2017/oct/02/"
               "lisbon-best-neighbourhoods-local-guide",
          share={"link": "https://www.theguardian.com/travel/2017/oct/02/"
                         "lisbon-best-neighbourhoods-local-guide",
                 "share_text": "Lisbon's best neighbourhoods: a local's guide"}),
        m("J", "Ha, they missed Graça completely"),
        m("A", "You should write to them"),
        m("J", "Strongly worded letter incoming ✍️"),
    ]),
    ("2018-01-20 20:00", [
        m("J", "How's the Catalan going?"),
        m("A", "Bé, molt bé 😎"),
        m("J", "Show-off"),
        m("A", "Four months of classes, let me have this"),
    ]),
    ("2018-06-09 13:30", [
        m("A", "Guess who's coming to Lisbon in July"),
        m("J", "No way. When??"),
        m("A", "14th to 21st"),
        m("A", "with Marta, if that's ok?", same=True),
        m("J", "Of course! Sofa and spare room are yours"),
        m("A", "You're the best 💛"),
    ]),
    ("2018-07-15 19:20", [
        m("A", photo=("37452918_10156482039485721_6538274019283746501_n_10156482039460721.jpg",
                      IMG_SUNSET), react=(("J", "❤"),)),
        m("A", "Best sunset of my life. Senhora do Monte 🌅", gap=15),
        m("J", "Told you it beats Barcelona"),
        m("A", "I will never say that out loud"),
    ]),
    ("2018-07-22 09:05", [
        m("A", "Home safe. Thank you for everything, de verdad 💛"),
        m("J", "Come back soon, the sofa misses you already"),
    ]),
    ("2018-11-03 21:14", [
        m("A", "You missed a video call from Ana María.", call=0, missed=True),
        m("J", "Sorry, was in the shower! Call you tomorrow?", gap=900),
        m("A", "Sí, no pasa nada. Mañana 👍"),
    ]),
    ("2019-03-19 12:02", [
        m("A", unsent=True),
        m("A", "ignore that, wrong chat 🙈"),
        m("J", "Now I'm very curious"),
        m("A", "Nope 😂"),
        m("J", "I'll find out eventually"),
    ]),
    ("2019-05-26 17:40", [
        m("J", "Are you voting today?"),
        m("A", "Already did, first thing this morning 🗳️"),
        m("J", "Look at you, model citizen"),
    ]),
    ("2019-09-13 08:30", [
        m("A", "It's my birthday and I'm at work. Tell me something nice"),
        m("J", "Feliz cumpleaños!! 🎂 You are the funniest, kindest person I know "
               "and your paella is only slightly overrated"),
        m("A", "\"only slightly\" 😤"),
        m("A", "Thank you 💛", react=(("J", "❤"),)),
    ]),
    ("2019-12-31 23:15", [
        m("J", "Last message of the decade? 🎇"),
        m("A", "Not if I send one more"),
        m("A", "There. Mine was the last one"),
        m("J", "Ganaste. Happy new year!"),
    ]),
    ("2020-03-14 21:00", [
        m("A", "Barcelona is closing everything. Are you ok there?"),
        m("J", "Same here. Working from the kitchen table. Stocked up on bacalhau 😅"),
        m("A", "Stay safe please 🙏"),
        m("J", "You too. Video call this weekend?"),
        m("A", "¿Sábado a las 7?"),
        m("J", "Deal"),
    ]),
    ("2020-04-25 18:12", [
        m("J", "Day 42. I have named my sourdough starter Ana"),
        m("A", "I'm honoured?? I think??"),
        m("J", "She's bubbly and unpredictable"),
        m("A", "Okay now I'm offended 😂", react=(("J", "😆"),)),
    ]),
    ("2020-07-04 20:30", [
        m("A", "Borders open again… Lisbon in September?"),
        m("J", "Yes please. Fingers crossed 🤞"),
    ]),
    ("2020-12-24 19:00", [
        m("J", "Feliz Navidad from my tiny kitchen 🎄 Zoom with the family at 8?"),
        m("A", "Mamá already set up the laptop on the table. She's wearing her good earrings"),
        m("J", "Then I'm wearing a shirt"),
    ]),
    ("2021-06-18 14:05", [
        m("A", "FULLY VACCINATED 💉💉"),
        m("J", "Same!! Summer plans are back on"),
        m("A", "Cádiz? Beach, tinto de verano, no laptops"),
        m("J", "Book it before we change our minds"),
    ]),
    ("2021-08-09 11:00", [
        m("A", "Cádiz photos are in the shared album. The one of you falling off the paddle board "
               "is my new wallpaper"),
        m("J", "Delete that immediately"),
        m("A", "Never 😇"),
    ]),
    ("2022-04-02 22:47", [
        m("A", "Sit down"),
        m("A", "Pablo proposed!!! 💍😭"),
        m("J", "AAAAH ANA!!! Congratulations to both of you!!!", react=(("A", "❤"),)),
        m("A", "Wedding is in Sevilla, September 17. You're obviously invited"),
        m("J", "I wouldn't miss it for the world"),
    ]),
    ("2022-09-10 09:30", [
        m("J", "Flights booked for the wedding ✈️ Arriving Friday 15:40"),
        m("A", "Perfect, Pablo's brother will pick you up at the airport"),
        m("J", "Is there a dress code?"),
        m("A", "Guayabera for the men if you want to make my abuela happy"),
        m("J", "Challenge accepted"),
    ]),
    ("2022-09-18 12:15", [
        m("J", "Best wedding I've ever been to. Your abuela dances better than all of us"),
        m("A", "She says you're her favourite guest. Don't tell Pablo's side 🤫"),
        m("J", "My lips are sealed"),
    ]),
    ("2023-01-29 16:40", [
        m("A", "News: we're moving back to Madrid in May"),
        m("J", "Closer to your parents! That's great"),
        m("A", "And a direct flight from Lisbon, so no excuses"),
    ]),
    ("2023-05-20 10:10", [
        m("A", "Keys!! 🔑 New flat in Lavapiés"),
        m("J", "Congrats!!! Send me the address, I'm sending a plant"),
        m("A", "A plant you'll remind me to water every week?"),
        m("J", "Exactly that kind of plant 🪴"),
    ]),
    ("2023-11-11 18:30", [
        m("J", "Madrid in February? I have a conference on the 12th"),
        m("A", "Stay with us! The spare room is finally a room and not box storage. See you in February!",
          photo=("404611297_10160129517745721_8305526719362814476_n_10160129517720721.jpg", IMG_ROOM)),
        m("J", "Perfect, I'll bring the vinho verde"),
        m("A", audio=("audioclip17000412345670000_1042983746501928.wav", VOICE), gap=95),
    ]),
    ("2024-02-11 22:05", [
        m("J", "Landed! On the metro now"),
        m("A", "Dinner's ready when you get here. Pablo made tortilla (runny, sorry)"),
        m("J", "Runny is the only correct tortilla"),
        m("A", "This is why we're friends"),
    ]),
    ("2024-02-15 07:50", [
        m("J", "Thank you both for the week. Best conference I ever skipped half of"),
        m("A", "Come back soon! The room is yours 💛"),
    ]),
    ("2024-06-01 13:00", [
        m("A", "Question: would you be the baby's godparent? 👶"),
        m("J", "Wait. WAIT. Ana?!"),
        m("A", "Due in November 🤰"),
        m("J", "Yes. Yes yes yes. I'm crying in a supermarket"),
        m("A", "😭💛"),
    ]),
    ("2024-11-18 06:40", [
        m("A", "She's here. Lucía, 3.2 kg, 06:12 this morning. Everyone's fine 💛",
          react=(("J", "❤"),)),
        m("J", "Welcome to the world, Lucía!!! Congratulations to all three of you 😭"),
        m("A", "She has Pablo's nose, poor thing"),
        m("J", "She's perfect"),
    ]),
    ("2024-12-26 11:30", [
        m("J", "Feliz Navidad atrasada to the three of you 🎄 How was Lucía's first Christmas?"),
        m("A", "She slept through all of it. Best guest ever"),
        m("A", "Mamá says the godparent has to come for Reyes"),
        m("J", "I'll be there on the 5th 👑"),
    ]),
], salt=11)

CREW_DIR = "weekendcrew_2583749106682491"
CREW = timeline([
    ("2018-05-12 10:00", [
        m("Z", "Zoë Martin named the group Weekend crew."),
        m("Z", "Made a group so we stop losing plans across four different chats"),
        m("T", "Finally 🙌"),
        m("B", "Good idea. Who's in for Sintra on Saturday?"),
        m("J", "Me!"),
        m("Z", "Me too. Train at 9:11 from Rossio?"),
        m("T", "9:11 on a Saturday should be illegal"),
        m("B", sticker="39178562_1505197616293642_5411344281094848512_n_369239263222822.png",
          react=(("Z", "😆"),)),
        m("J", "Jordan Lee added Priya Raman to the group.", users=("P",)),
        m("P", "Hello hello 👋 thanks for adding me"),
        m("Z", "Welcome Priya! You're contractually obliged to come to Sintra now"),
        m("P", "Happily 😄"),
    ]),
    ("2018-05-19 08:50", [
        m("Z", "Train leaves in 20 minutes, where is everyone"),
        m("T", "Running!!"),
        m("B", gif="32851029_2091827364512093_4718293746501928374_n_2091827357845427.gif"),
        m("J", "Got your tickets, platform 2"),
        m("T", "Made it. Barely.", react=(("J", "👍"), ("P", "😆"))),
    ]),
    ("2018-05-19 18:30", [
        m("P", "Photos from today? My phone died at the Moorish Castle"),
        m("B", video="10000000_1938475610293847_4829374650192837465_n_1938475606960514.mp4"),
        m("Z", "Bartek that's 4 minutes of your thumb"),
        m("B", "The thumb is artistic"),
    ]),
    ("2018-11-24 15:00", [
        m("J", "Board games at mine tonight? 8pm"),
        m("P", "In! I'll bring Catan"),
        m("T", "Not Catan. Anything but Catan"),
        m("Z", "Priya bring Catan"),
        m("J", "# not a heading, just counting pizzas: 4 margheritas, 2 diavolas, "
               "1 with pineapple for Tom"),
        m("T", "Finally someone respects me"),
    ]),
    ("2019-02-09 21:40", [
        m("P", "<script>alert(1)</script>"),
        m("B", "Priya please stop hacking the group chat 😂"),
        m("P", "Just checking Messenger escapes it. It does. Boring"),
        m("Z", "*stars* and _underscores_ don't work here either, I tried"),
    ]),
    ("2019-06-01 09:00", [
        m("B", "Kayaking on the Tejo next Saturday? My cousin rents them cheap"),
        m("Z", "Yes! Sunscreen this time, Jordan"),
        m("J", "One sunburn. ONE."),
        m("P", "I'm in"),
        m("T", "Can't, my sister's birthday 😢"),
    ]),
    ("2019-06-06 20:15", [
        m("P", "Packing list for Saturday, so nobody forgets anything this time"),
        m("P", file="packinglist_2283746501928374.txt", gap=5),
        m("Z", "Priya you are a gift", react=(("P", "❤"),)),
    ]),
    ("2020-02-15 11:20", [
        m("T", "Moving to Berlin on Monday, so I'll leave you to it. Thanks for the best weekends, crew ❤"),
        m("T", "Tom Becker left the group.", users=("T",)),
        m("Z", "We'll miss you Tom!! Come back for the summer"),
        m("B", "Berlin is lucky"),
        m("J", "Catan will never be the same 😢"),
    ]),
    ("2020-06-20 19:00", [
        m("Z", "Are we allowed to meet outside in groups of 5 now? Asking for a picnic"),
        m("P", "Yes since this week! Jardim da Estrela, Sunday?"),
        m("J", "I'll bring the toalha and the cherries 🍒"),
        m("B", "And I bring the Polish beer 🍺"),
    ]),
    ("2021-10-16 10:30", [
        m("B", "Hike in Arrábida tomorrow? Forecast is perfect"),
        m("J", "In"),
        m("P", "In, but I need a lift"),
        m("Z", "I can drive, 8:30 at Priya's?"),
        m("P", "🙏", react=(("Z", "❤"),)),
    ]),
    ("2022-12-17 20:00", [
        m("Z", "Secret Santa! Budget €20, names drawn by this bot thing, check your email"),
        m("J", "The bot gave me myself. Twice."),
        m("P", "Jordan broke the bot"),
        m("Z", "Redrawing by hand like it's 1995"),
    ]),
    ("2023-09-23 17:45", [
        m("P", "Last summer evening? Miradouro at 7"),
        m("B", "Coming, bringing the speaker"),
        m("Z", "Be there at 7:30, don't start the sunset without me"),
        m("J", "We'll ask it to wait"),
        m("Z", clip=("10000000_2204815937261048_5519283746501928374_n_2204815930594382.mp4",
                     BOAT_VIDEO), gap=2700),
    ]),
], salt=23)

LUKAS = timeline([
    ("2017-05-03 18:20", [
        m("L", "Hi Jordan, is the bike from the Facebook group still available?"),
        m("J", "Hi Lukas! Yes, still here"),
        m("L", "Great. Is 120 ok? The ad says 150 but the back tyre looks worn in the photos"),
        m("J", "130 and I'll change the tyre first?"),
        m("L", "Deal 👍"),
        m("L", "Can I pick it up Saturday morning? I'm in Alfama"),
        m("J", "Saturday 10am works. Rua dos Remédios, I'll send the door number"),
    ]),
    ("2017-05-06 10:47", [
        m("L", "I'm downstairs"),
        m("J", "Coming!"),
    ]),
    ("2017-05-06 13:05", [
        m("L", "Rode it home, it's perfect. Danke!"),
        m("J", "Enjoy it! Watch out for the tram tracks on the hills", react=(("L", "👍"),)),
    ]),
    ("2017-11-14 21:00", [
        m("L", "Hey, random question: do you know a good mechanic? The gears are slipping"),
        m("J", "Try the shop next to Santa Apolónia, ask for Rui"),
        m("L", "Thanks, will do"),
    ]),
    ("2018-02-10 12:30", [
        m("L", "Moving back to München next month. Selling the bike again if you know anyone 😄"),
        m("J", "Ha, full circle. I'll share it around"),
        m("L", "Thanks for everything, Jordan. Tschüss!"),
    ]),
], salt=37)

# The cross-app chat: one timeline, rendered into both downloads. only="facebook" /
# only="instagram" marks the few messages that one download has and the other lacks.
MAYA_PHOTO_FB = "268193746_4729103846571029_3847561029384756102_n_4729103839904363.jpg"
MAYA_PHOTO_IG = "268201934_1029384756473829_1928374650192837465_n.jpg"
MAYA = timeline([
    ("2021-09-04 20:15", [
        m("M", "Hi! Is this the Jordan from the Porto film workshop? Zoë gave me your Instagram 🙂"),
        m("J", "Maya! Yes, that's me. The one who loaded the film backwards"),
        m("M", "Haha that's exactly how I remembered you"),
        m("J", "Famous for all the wrong reasons"),
    ]),
    ("2021-09-05 10:30", [
        m("J", "Sent this from Messenger, no idea if it reaches Instagram", only="facebook"),
        m("M", "Got it! Apparently the apps talk to each other now"),
        m("J", "The future is here 🤖"),
    ]),
    ("2021-10-22 19:00", [
        m("M", "Where do you develop colour film in Lisbon?"),
        m("J", "The lab on Rua da Rosa. Ask for Inês, she's great with Portra"),
        m("M", "Perfect, thank you!!", react=(("J", "👍"),)),
    ]),
    ("2021-12-03 11:45", [
        m("M", photo=(MAYA_PHOTO_FB, IMG_TOREL), react=(("J", "❤"),)),
        m("M", "First roll from the new lab. Look at those greens", gap=12),
        m("J", "That's gorgeous. Where is it?"),
        m("M", "Jardim do Torel, early morning"),
    ]),
    ("2022-02-14 18:20", [
        m("J", "Are you going to the photo book fair next Saturday?"),
        m("M", "Yes! Meet at the entrance at 3?"),
        m("J", "3 it is"),
    ]),
    ("2022-02-19 17:50", [
        m("M", "That was dangerous, I spent my whole month's budget"),
        m("J", "I saw you with four bags"),
        m("M", "Three and a half"),
        m("J", "That's four"),
    ]),
    ("2022-05-07 09:10", [
        m("M", share={"link": "https://www.instagram.com/p/CdK2b7Lr9Qm/",
                      "share_text": "Fog over the Douro this morning #35mm #portra400",
                      "original_content_owner": "maya.chen"}, only="instagram"),
        m("J", "This one is incredible. Print it!"),
        m("M", "Maybe for the exhibition 👀"),
        m("J", "Wait, exhibition??"),
        m("M", "Group show in October, at a café in Porto. Nothing big"),
        m("J", "That IS big"),
    ]),
    ("2022-10-08 21:30", [
        m("J", "Congrats on the opening!! The fog photo looked amazing printed"),
        m("M", "Thank you for coming all the way up ❤️", react=(("J", "❤"),)),
        m("J", "Wouldn't have missed it"),
        m("M", "Next time I'm showing you the real francesinha place"),
    ]),
    ("2023-01-15 14:00", [
        m("M", "Happy new year Jordan! Any photo resolutions?"),
        m("J", "Shoot one roll a month. You?"),
        m("M", "Learn to develop at home. My bathroom will never recover"),
        m("J", "RIP bathroom 🪦"),
    ]),
    ("2023-03-26 20:40", [
        m("M", "First home-developed roll!! It's… mostly black"),
        m("J", "Mostly black is a valid artistic choice"),
        m("M", "Reacted 😂 to your message ", only="instagram"),
        m("M", "Hahaha thank you for your support"),
    ]),
    ("2023-06-05 12:00", [
        m("J", "Are you coming to Lisbon for the Santos?"),
        m("M", "Yes! Arriving on the 12th, staying in Graça"),
        m("J", "Sardines on me then 🐟"),
        m("M", "Deal"),
    ]),
    ("2023-06-13 22:10", [
        m("M", "Best night. I smell like sardines and I regret nothing"),
        m("J", "Welcome to Santo António"),
    ]),
    ("2023-09-02 16:30", [
        m("J", "Saw your photo in the Público weekend supplement!!"),
        m("M", "WHAT. Which one?"),
        m("J", "The fog one again, it's following you"),
        m("M", "Buying every copy in Porto", only="instagram"),
        m("M", "I'm framing it"),
    ]),
    ("2023-11-20 19:15", [
        m("M", "Heads up: Meta says our chat will become read-only soon, the cross-app thing is ending"),
        m("J", "Noooo. I'll follow you back on Instagram properly"),
        m("M", "Good. And save the photos from here just in case"),
        m("J", "Already downloaded everything 💾"),
    ]),
    ("2023-12-10 21:00", [
        m("M", "Last message before they lock it? 🔒"),
        m("J", "Last message. See you on the other side, Maya 👋", react=(("M", "❤"),)),
        m("M", "Bye from Messenger 👋", only="facebook"),
        m("M", "Bye from Instagram 👋", only="instagram"),
    ]),
], salt=41)

BART_CUTOVER = timeline([
    ("2021-11-08 09:15", [
        m("B", "Cześć Jordan! Bartłomiej from the new team, Zoë said you know the best lunch spots"),
        m("J", "Cześć! Welcome! Today: the tasca behind the office, prato do dia is €8.50"),
        m("B", "Sold"),
    ]),
    ("2021-11-08 14:05", [
        m("B", "That bacalhau à brás was dangerous. I need a nap"),
        m("J", "Welcome to Portugal 😄"),
    ]),
    ("2022-03-03 18:30", [
        m("B", "Could you look at my slides before Thursday? I think slide 7 is a mess"),
        m("J", "Sure, send them over"),
        m("B", "Dzięki! You're a lifesaver"),
    ]),
    ("2022-07-22 22:00", [
        m("J", "Are you watching the match?"),
        m("B", "Poland is making me suffer"),
        m("J", "Portugal too, don't worry"),
        m("B", "Solidarity 🤝"),
    ]),
    ("2022-12-20 12:00", [
        m("B", "Going home to Kraków for Christmas. Want me to bring anything back?"),
        m("J", "Krówki please!! The fudge ones"),
        m("B", "A whole bag, understood 🍬"),
    ]),
    ("2023-01-09 09:30", [
        m("B", "Krówki delivered to your desk. Don't eat them all before lunch"),
        m("J", "Too late", react=(("B", "😆"),)),
    ]),
    ("2023-04-14 16:45", [
        m("J", "Beer after work? It's Friday"),
        m("B", "Na zdrowie 🍻 Meet you downstairs at 6"),
    ]),
    ("2023-08-28 08:10", [
        m("B", "Back from holiday. What did I miss?"),
        m("J", "A reorg, two new printers and the coffee machine died"),
        m("B", "The coffee machine?! Tragedy"),
        m("J", "We held a small ceremony ☕️🪦"),
    ]),
    ("2023-12-15 13:20", [
        m("B", "Did your Messenger just show a banner about end-to-end encryption?"),
        m("J", "Yes, something about \"your chats are now secured\". No idea what it means for old messages"),
        m("B", "Let's both download everything to be safe"),
    ]),
    ("2024-01-10 18:00", [
        m("J", "Happy new year, Bartek! How was Kraków?"),
        m("B", "Snowy and full of pierogi. Szczęśliwego Nowego Roku!"),
        m("J", "I'm going to pretend I can pronounce that"),
    ]),
    ("2024-01-22 19:40", [
        m("B", "Squash on Thursday? I booked court 3 at 19:00"),
        m("J", "I'll be there. Prepare to lose"),
        m("B", "Big words 😏"),
    ]),
], salt=53)

SOFIA = timeline([
    ("2022-05-20 18:00", [
        m("J", "Wait, where is this?? 😍",
          share={"link": "https://www.instagram.com/stories/sofi.rossi/2841937465019283746/",
                 "share_text": "Lagos 🌊", "original_content_owner": "sofi.rossi"}),
        m("S", "Ponta da Piedade in Lagos! Go at sunrise, there's nobody"),
        m("J", "Adding it to the list"),
        m("S", "And take the boat to the caves, it's worth it"),
    ]),
    ("2022-08-14 07:30", [
        m("J", "Sunrise at Ponta da Piedade. You were right, nobody there"),
        m("S", "Liked a message"),
        m("S", "Told you 😌"),
    ]),
    ("2023-03-02 20:15", [
        m("S", "Are you coming to Rita's birthday on Saturday?"),
        m("J", "Yes! What time?"),
        m("S", "8:30, at the Italian place in Príncipe Real (edited)"),
        m("J", "Perfect, see you there"),
    ]),
    ("2023-07-09 13:00", [
        m("J", "Did you try the gelato place I sent you?"),
        m("S", "Twice. I have a problem 🍦", react=(("J", "😆"),)),
    ]),
    ("2024-01-19 18:45", [
        m("S", "Sofia sent an attachment.",
          share={"link": "https://www.instagram.com/reel/C2a8KxLoP4q/",
                 "share_text": "Pastéis de nata at home, the easy way 🥚",
                 "original_content_owner": "lisboa.eats"}),
        m("J", "We are making these this weekend"),
        m("S", "Deal. I'll bring the eggs"),
    ]),
    ("2024-10-05 11:20", [
        m("S", "Happy birthday Jordan!! 🎉🎂", react=(("J", "❤"),)),
        m("J", "Grazie mille Sofi 💛"),
        m("S", "Look at you speaking Italian"),
    ]),
], salt=67)

SECURE_BART = timeline([
    ("2024-02-01 19:05", [
        m("B", "Good game yesterday. My legs are gone"),
        m("J", "You won 3–1, stop complaining", react=(("B", "😆"),)),
    ]),
    ("2024-02-18 11:30", [
        m("B", media="7c2e91b04d5f4a3e8b6d0f1a2c9e7b54.jpeg", react=(("J", "😮"),)),
        m("B", "New flat! View from the kitchen", gap=10),
        m("J", "Jealous. Is that the Tejo?"),
        m("B", "A tiny slice of it, if you lean out"),
    ]),
    ("2024-03-09 21:10", [
        m("B", "User unsent a message", unsent=True),
        m("B", "wrong chat, sorry 😅"),
        m("J", "Everyone's doing that lately"),
    ]),
    ("2024-04-25 10:00", [
        m("J", "https://www.publico.pt/2024/04/25/politica/noticia/50-anos-25-abril-2088123", link=True),
        m("J", "50 years today. The city is full of carnations 🌹"),
        m("B", "We're on Avenida da Liberdade, come find us"),
    ]),
    ("2024-06-12 23:30", [
        m("B", media=FAILED),
        m("B", "That was a video of the sardine grill. Trust me, it was glorious"),
        m("J", "I believe you 🐟"),
    ]),
    ("2024-08-05 08:45", [
        m("J", "Back from Kraków?"),
        m("B", "Yes, and I brought krówki again"),
        m("J", "Best colleague ever", react=(("B", "❤"),)),
    ]),
    ("2024-10-02 17:20", [
        m("B", "Squash tomorrow?"),
        m("J", "Can't, dentist. Friday?"),
        m("B", "Friday 19:00, court 3"),
        m("J", "👍"),
    ]),
    ("2024-11-20 20:10", [
        m("J", "Thanks for the birthday dinner, Bartek"),
        m("B", "Sto lat! 🎂", react=(("J", "❤"),)),
        m("J", "Still can't pronounce anything but I'll take it"),
    ]),
], salt=71)

SECURE_CREW = timeline([
    ("2024-03-16 10:00", [
        m("Z", "Hello from the encrypted side 🔐 Spring hike soon?"),
        m("P", "Yes! Arrábida again?"),
        m("B", "I'll drive this time"),
        m("J", "In 🙌"),
    ]),
    ("2024-04-06 08:15", [
        m("J", media="b41f0e6a92c84d17a3e5f6c7d8091a2b.jpeg", react=(("Z", "❤"), ("P", "❤"))),
        m("Z", "Frame this"),
    ]),
    ("2024-07-20 19:30", [
        m("P", "https://www.timeout.com/lisbon/things-to-do/best-beaches-near-lisbon", link=True),
        m("B", "Costa da Caparica, obviously"),
        m("Z", "Meco!"),
        m("J", "Compromise: both"),
    ]),
    ("2024-10-12 21:00", [
        m("Z", "Board games at mine next week? Catan is back by popular demand"),
        m("J", "Tom would be furious"),
        m("P", "Send him a photo of the board 😈"),
    ]),
], salt=79)

SECURE_ZOE = timeline([
    ("2024-05-03 09:40", [
        m("Z", "Are you free Saturday to help me move the sofa? Pizza and eternal gratitude offered"),
        m("J", "For pizza, anything"),
        m("Z", "You're a star ⭐"),
    ]),
    ("2024-05-04 18:00", [
        m("Z", "Sofa is in. My back is out. Thank you!!", react=(("J", "😆"),)),
        m("J", "Same time next move"),
    ]),
], salt=83)

# --------------------------------------------------------------------------- writers



def repair(value):
    """The import's rule, for checking: undo mojibake, keep the string when it fails."""
    if isinstance(value, str):
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value
    if isinstance(value, list):
        return [repair(v) for v in value]
    if isinstance(value, dict):
        return {k: repair(v) for k, v in value.items()}
    return value


WRITTEN_DYI: dict[Path, object] = {}      # path -> intended (clean) object
WRITTEN_SECURE: dict[Path, object] = {}
MEDIA: list[tuple[str, Path, bool]] = []   # (download, path, expected to exist)


def write_dyi_json(path: Path, obj) -> None:
    write_meta_json(path, obj, indent=2)
    WRITTEN_DYI[path] = obj


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def dyi_message(msg: Msg, platform: str, uri_base: str, disk_dir: Path, download: str) -> dict:
    """One message in Meta DYI shape; attachments are written to disk_dir as a side effect."""
    out: dict = {"sender_name": name(msg.who, platform), "timestamp_ms": msg.ts}
    if msg.text is not None:
        out["content"] = msg.text
    created = msg.ts // 1000
    if msg.photo:
        fname, data = msg.photo
        if platform == "instagram" and fname == MAYA_PHOTO_FB:
            fname = MAYA_PHOTO_IG      # same picture, the other app's file name
        out["photos"] = [{"uri": f"{uri_base}/photos/{fname}", "creation_timestamp": created}]
        write_file(disk_dir / "photos" / fname, data)
        MEDIA.append((download, disk_dir / "photos" / fname, True))
    if msg.audio:
        fname, data = msg.audio
        out["audio_files"] = [{"uri": f"{uri_base}/audio/{fname}", "creation_timestamp": created}]
        write_file(disk_dir / "audio" / fname, data)
        MEDIA.append((download, disk_dir / "audio" / fname, True))
    if msg.clip:
        fname, data = msg.clip
        out["videos"] = [{"uri": f"{uri_base}/videos/{fname}", "creation_timestamp": created}]
        write_file(disk_dir / "videos" / fname, data)
        MEDIA.append((download, disk_dir / "videos" / fname, True))
    if msg.video:
        out["videos"] = [{"uri": f"{uri_base}/videos/{msg.video}", "creation_timestamp": created}]
        MEDIA.append((download, disk_dir / "videos" / msg.video, False))
    if msg.gif:
        out["gifs"] = [{"uri": f"{uri_base}/gifs/{msg.gif}"}]
        write_file(disk_dir / "gifs" / msg.gif, GIF)
        MEDIA.append((download, disk_dir / "gifs" / msg.gif, True))
    if msg.file:
        out["files"] = [{"uri": f"{uri_base}/files/{msg.file}", "creation_timestamp": created}]
        write_file(disk_dir / "files" / msg.file, PACKING_LIST)
        MEDIA.append((download, disk_dir / "files" / msg.file, True))
    if msg.sticker:
        out["sticker"] = {"uri": f"messages/stickers_used/{msg.sticker}", "ai_stickers": []}
        sticker_path = FB_ROOT / "your_facebook_activity/messages/stickers_used" / msg.sticker
        write_file(sticker_path, STICKER)
        MEDIA.append((download, sticker_path, True))
    if msg.share:
        share = dict(msg.share)
        if platform == "facebook":
            share.pop("original_content_owner", None)
        out["share"] = share
    if msg.call is not None:
        out["call_duration"] = msg.call
        if msg.missed:
            out["missed"] = True
    if msg.users:
        out["users"] = [{"name": name(u, platform)} for u in msg.users]
    if msg.unsent:
        out["is_unsent"] = True
    if msg.react:
        reactions = []
        for i, (who, emoji) in enumerate(msg.react):
            r = {"reaction": emoji, "actor": name(who, platform)}
            if platform == "instagram":
                r["timestamp"] = msg.ts // 1000 + 47 + 60 * i
            reactions.append(r)
        out["reactions"] = reactions
    out["is_geoblocked_for_viewer"] = False
    if platform == "facebook":
        out["is_unsent_image_by_messenger_kid_parent"] = False
    return out


def write_dyi_thread(*, platform: str, activity_dir: Path, uri_root: str, download: str,
                     section: str, folder: str, title: str, participants: list[str],
                     messages: list[Msg], part_size: int | None = None, extra: dict | None = None
                     ) -> None:
    disk_dir = activity_dir / "messages" / section / folder
    uri_base = f"{uri_root}/{section}/{folder}"
    rendered = [dyi_message(msg, platform, uri_base, disk_dir, download) for msg in messages]
    rendered.reverse()                                  # newest first, as Meta writes them
    size = part_size or len(rendered)
    parts = [rendered[i:i + size] for i in range(0, len(rendered), size)]
    for number, part in enumerate(parts, start=1):      # message_1.json is the newest
        participant_names = [name(p, platform) for p in participants]
        path = write_thread(disk_dir, part, title=title, participants=participant_names,
                            part=number, thread_path=f"{section}/{folder}", indent=2,
                            extra={"magic_words": [], **(extra or {})})
        WRITTEN_DYI[path] = {
            "participants": [{"name": n} for n in participant_names], "messages": part,
            "title": title, "is_still_participant": True, "thread_path": f"{section}/{folder}",
            "magic_words": [], **(extra or {}),
        }


def secure_message(msg: Msg) -> dict:
    if msg.unsent:
        kind, media, text = "placeholder", [], msg.text
    elif msg.media:
        kind, media, text = "media", [{"uri": msg.media if msg.media == FAILED
                                       else f"./media/{msg.media}"}], ""
    elif msg.link:
        kind, media, text = "link", [], msg.text
    else:
        kind, media, text = "text", [], msg.text
    return {
        "isUnsent": msg.unsent,
        "media": media,
        "reactions": [{"actor": name(w, "messenger"), "reaction": e} for w, e in msg.react],
        "senderName": name(msg.who, "messenger"),
        "text": text,
        "timestamp": msg.ts,
        "type": kind,
    }


def scrambled(items: list) -> list:
    """A fixed, unsorted order: the encrypted-chat download does not sort its messages."""
    n = len(items)
    order = ([i for i in range(n) if i % 3 == 2] + [i for i in range(n) if i % 3 == 0][::-1]
             + [i for i in range(n) if i % 3 == 1])
    return [items[i] for i in order]


def write_secure_thread(filename: str, thread_name: str, participants: list[str],
                        messages: list[Msg]) -> None:
    obj = {
        "participants": [name(p, "messenger") for p in participants],
        "threadName": thread_name,
        "messages": scrambled([secure_message(msg) for msg in messages]),
    }
    path = SECURE_ROOT / filename
    path.write_bytes(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    WRITTEN_SECURE[path] = obj
    for msg in messages:
        if msg.media and msg.media != FAILED:
            data = {"7c2e91b04d5f4a3e8b6d0f1a2c9e7b54.jpeg": IMG_FLAT_VIEW,
                    "b41f0e6a92c84d17a3e5f6c7d8091a2b.jpeg": IMG_HIKE}[msg.media]
            write_file(SECURE_ROOT / "media" / msg.media, data)
            MEDIA.append(("messenger-secure-2024", SECURE_ROOT / "media" / msg.media, True))


def write_facebook() -> None:
    fb = FB_ROOT / "your_facebook_activity"
    common = {"platform": "facebook", "activity_dir": fb, "uri_root": "messages",
                  "download": FB_ROOT.name}
    write_dyi_thread(**common, section="inbox", folder="anamariagonzalez_1480923316745021",
                     title=PEOPLE["A"], participants=["A", "J"], messages=ANA, part_size=50)
    group_photo = "33442211_10155938475610293_2837465019283746501_n_10155938475606960.jpg"
    write_dyi_thread(**common, section="inbox", folder=CREW_DIR, title="Weekend crew",
                     participants=["J", "B", "Z", "P"], messages=CREW,
                     extra={"image": {"uri": f"messages/photos/{group_photo}",
                                      "creation_timestamp": CREW[0].ts // 1000},
                            "joinable_mode": {"mode": 1, "link": ""}})
    write_file(fb / "messages/photos" / group_photo, IMG_GROUP)
    MEDIA.append((FB_ROOT.name, fb / "messages/photos" / group_photo, True))
    write_dyi_thread(**common, section="inbox", folder="mayachen_6913058275336842",
                     title=PEOPLE["M"], participants=["M", "J"],
                     messages=[x for x in MAYA if x.only in (None, "facebook")])
    write_dyi_thread(**common, section="archived_threads", folder="lukasschmidt_1127364958203746",
                     title=PEOPLE["L"], participants=["L", "J"], messages=LUKAS)
    write_dyi_thread(**common, section="e2ee_cutover", folder="bartlomiejnowak_7294018365542817",
                     title=PEOPLE["B"], participants=["B", "J"], messages=BART_CUTOVER)
    # Files that sit under messages/ but are not threads.
    write_dyi_json(fb / "messages/autofill_information.json", {"autofill_information_v2": {
        "FULL_NAME": ["Jordan Lee"], "FIRST_NAME": ["Jordan"], "LAST_NAME": ["Lee"],
        "EMAIL": ["jordan.lee@example.com"], "CITY": ["Lisboa"], "COUNTRY": ["Portugal"]}})
    write_dyi_json(FB_ROOT / "profile_information/profile_information.json", {"profile_v2": {
        "name": {"full_name": "Jordan Lee", "first_name": "Jordan", "middle_name": "",
                 "last_name": "Lee"},
        "emails": {"emails": ["jordan.lee@example.com"], "previous_emails": [],
                   "pending_emails": [], "ad_account_emails": []},
        "birthday": {"year": 1990, "month": 10, "day": 5},
        "gender": {"pronoun": "THEY"},
        "current_city": {"name": "Lisboa, Portugal", "timestamp": 1451606400},
        "hometown": {"name": "Bristol, United Kingdom", "timestamp": 1262304000},
        "registration_timestamp": 1199145600,
        "profile_uri": "https://www.facebook.com/jordanlee.demo",
    }})


def write_instagram() -> None:
    ig = IG_ROOT / "your_instagram_activity"
    common = {"platform": "instagram", "activity_dir": ig,
                  "uri_root": "your_instagram_activity/messages", "download": IG_ROOT.name}
    write_dyi_thread(**common, section="inbox", folder="mayachen_17862948301746285",
                     title=PEOPLE["M"], participants=["M", "J"],
                     messages=[x for x in MAYA if x.only in (None, "instagram")])
    write_dyi_thread(**common, section="inbox", folder="sofirossi_17849302175638294",
                     title=PEOPLE["S"], participants=["S", "J"], messages=SOFIA)
    profile_photo = "media/profile/202301/322918374_1029384756102938_4756102938475610293_n.jpg"
    write_file(IG_ROOT / profile_photo, IMG_PROFILE)
    MEDIA.append((IG_ROOT.name, IG_ROOT / profile_photo, True))

    def field_(value: str) -> dict:
        return {"href": "", "value": value, "timestamp": 0}

    write_dyi_json(IG_ROOT / "personal_information/personal_information/personal_information.json",
                   {"profile_user": [{
                       "title": "",
                       "media_map_data": {"Profile Photo": {
                           "uri": profile_photo, "creation_timestamp": 1673780212, "title": ""}},
                       "string_map_data": {
                           "Email": field_("jordan.lee@example.com"),
                           "Phone Confirmed": field_("False"),
                           "Username": field_("jordan.lee"),
                           "Name": field_("Jordan L."),
                           "Bio": field_("Lisboa · film photos 📷"),
                           "Gender": field_("Prefer not to say"),
                           "Private Account": field_("True"),
                       }}]})


def write_secure() -> None:
    SECURE_ROOT.mkdir(parents=True)
    write_secure_thread("Bartłomiej Nowak_1.json", PEOPLE["B"], ["B", "J"], SECURE_BART)
    write_secure_thread("Weekend crew_2.json", "Weekend crew", ["Z", "J", "B", "P"], SECURE_CREW)
    write_secure_thread("Zoë Martin_4.json", PEOPLE["Z"], ["J", "Z"], SECURE_ZOE)
    MEDIA.append((SECURE_ROOT.name, SECURE_ROOT / "media" / FAILED, False))

# --------------------------------------------------------------------------- checks


def check() -> None:
    for path, intended in WRITTEN_DYI.items():
        raw = path.read_bytes()
        assert raw.isascii(), path                 # every non-ASCII byte is a \u00XX escape
        loaded = json.loads(raw)
        assert repair(loaded) == intended, path    # mojibake round-trips
        assert repair(repair(loaded)) == intended, path   # and the repair is idempotent
    for path, intended in WRITTEN_SECURE.items():
        assert json.loads(path.read_bytes().decode("utf-8")) == intended, path
    for _, path, present in MEDIA:
        assert path.exists() == present, path
    for path in HERE.rglob("*.jp*g"):
        data = path.read_bytes()
        assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9", path


# --------------------------------------------------------------------------- README


def read_dyi_threads(root: Path) -> list[dict]:
    """Read the downloads back from disk (not from the data above) for the counts."""
    threads = []
    for folder in sorted({p.parent for p in root.rglob("message_*.json")}):
        parts = sorted(folder.glob("message_*.json"), key=lambda p: int(p.stem.split("_")[1]))
        loaded = [repair(json.loads(p.read_bytes())) for p in parts]
        msgs = [x for part in loaded for x in part["messages"]]
        threads.append({
            "section": folder.parent.name, "folder": folder.name, "title": loaded[0]["title"],
            "participants": [p["name"] for p in loaded[0]["participants"]],
            "senders": sorted({x["sender_name"] for x in msgs}),
            "parts": [len(p["messages"]) for p in loaded], "messages": msgs,
        })
    return threads


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def tree_lines(root: Path) -> list[str]:
    lines = [root.name + "/"]

    def walk(d: Path, prefix: str) -> None:
        entries = sorted(d.iterdir(), key=lambda p: (p.is_file(), p.name))
        for i, p in enumerate(entries):
            last = i == len(entries) - 1
            label = p.name + ("/" if p.is_dir() else f"  ({p.stat().st_size} bytes)")
            lines.append(prefix + ("└── " if last else "├── ") + label)
            if p.is_dir():
                walk(p, prefix + ("    " if last else "│   "))

    walk(root, "")
    return lines


def write_readme() -> None:
    fb = read_dyi_threads(FB_ROOT / "your_facebook_activity/messages")
    ig = read_dyi_threads(IG_ROOT / "your_instagram_activity/messages")
    secure = []
    for path in sorted(SECURE_ROOT.glob("*.json")):
        if path.stat().st_size == 0:
            secure.append({"file": path.name, "empty": True})
            continue
        obj = json.loads(path.read_bytes().decode("utf-8"))
        secure.append({"file": path.name, "threadName": obj["threadName"],
                       "participants": obj["participants"], "messages": obj["messages"]})

    def key(x: dict, ts_field: str, text_field: str) -> tuple:
        return (x[ts_field], x.get(text_field))

    fb_maya = next(t for t in fb if t["folder"].startswith("mayachen_"))
    ig_maya = next(t for t in ig if t["folder"].startswith("mayachen_"))
    fb_keys = {key(x, "timestamp_ms", "content") for x in fb_maya["messages"]}
    ig_keys = {key(x, "timestamp_ms", "content") for x in ig_maya["messages"]}
    cutover = next(t for t in fb if t["section"] == "e2ee_cutover")
    cont = next(t for t in secure if t.get("threadName") == PEOPLE["B"])
    cut_last = max(x["timestamp_ms"] for x in cutover["messages"])
    cont_first = min(x["timestamp"] for x in cont["messages"])
    fb_total = sum(len(t["messages"]) for t in fb)
    ig_total = sum(len(t["messages"]) for t in ig)
    sec_total = sum(len(t["messages"]) for t in secure if not t.get("empty"))

    def dyi_table(threads: list[dict]) -> list[str]:
        rows = ["| section | folder | title | messages | parts (message_1, message_2, …) | first → last (UTC) |",
                "|---|---|---|---:|---|---|"]
        for t in threads:
            ts = [x["timestamp_ms"] for x in t["messages"]]
            rows.append(f"| {t['section']} | `{t['folder']}` | {t['title']} | {len(ts)} | "
                        f"{', '.join(map(str, t['parts']))} | {iso(min(ts))} → {iso(max(ts))} |")
        return rows

    def find(threads: list[dict], folder_prefix: str, pred) -> list[dict]:
        t = next(t for t in threads if t["folder"].startswith(folder_prefix))
        return sorted((x for x in t["messages"] if pred(x)), key=lambda x: x["timestamp_ms"])

    ana_same = [x for x in find(fb, "anamaria", lambda x: True)]
    same_ts = sorted({x["timestamp_ms"] for x in ana_same
                      if sum(y["timestamp_ms"] == x["timestamp_ms"] for y in ana_same) > 1})
    call = find(fb, "anamaria", lambda x: x.get("call_duration") == 754)[0]
    missed = find(fb, "anamaria", lambda x: x.get("missed"))[0]
    unsent = find(fb, "anamaria", lambda x: x.get("is_unsent"))[0]
    photo = find(fb, "anamaria", lambda x: "photos" in x)[0]
    share = find(fb, "anamaria", lambda x: "share" in x)[0]
    night = find(fb, "anamaria", lambda x: x.get("content") == "I got the job in Barcelona!!! 😭🎉")[0]
    last_maya = max(max(x["timestamp_ms"] for x in fb_maya["messages"]),
                    max(x["timestamp_ms"] for x in ig_maya["messages"]))
    media_present = [p for _, p, ok in MEDIA if ok]
    media_missing = [p for _, p, ok in MEDIA if not ok and p.name != FAILED]

    def role(p: Path) -> str:
        if p.parent.name == "stickers_used":
            return "message `sticker`"
        if p.parent.name == "photos" and p.parent.parent.name == "messages":
            return "thread `image` (group photo), not a message"
        if "profile" in p.parts:
            return "profile photo in personal_information.json, not a message"
        if p.parent.name == "media":
            return "message `media`"
        return f"message `{p.parent.name}`"

    def attachments(download: str) -> int:
        return sum(1 for d, p, ok in MEDIA if ok and d == download and role(p).startswith("message"))

    def rel(p: Path) -> str:
        return p.relative_to(HERE).as_posix()

    lines = [
        "# Sample downloads",
        "",
        "Small, hand-written demo downloads of one fictional person, used by the README demo and",
        "by tests. Every file here is written by `make_samples.py` (fixed data, no randomness;",
        "running it again gives the same bytes). Do not edit the files by hand: change the script",
        "and run `python -m sample_exports.make_samples` from the repository's root. Every number",
        "below is counted from the written files by that script.",
        "",
        "## Owner",
        "",
        "| download | dialect | owner's name in it |",
        "|---|---|---|",
        f"| `{FB_ROOT.name}/` | Meta DYI JSON, Facebook 2025 layout (`your_facebook_activity/messages/`), mojibake | **Jordan Lee** (also `profile_information/profile_information.json`) |",
        f"| `{IG_ROOT.name}/` | Meta DYI JSON, Instagram 2024 layout (`your_instagram_activity/messages/`), mojibake | **Jordan L.** (username `jordan.lee`; `personal_information/personal_information/personal_information.json`) |",
        f"| `{SECURE_ROOT.name}/` | Messenger encrypted chats (flat `<Thread>_<N>.json`, clean UTF-8, unsorted) | **Jordan Lee** (not written anywhere: the only name in every thread) |",
        "",
        (f"Totals: Facebook {fb_total} messages in {len(fb)} threads; Instagram {ig_total} in {len(ig)} "
        f"threads; Messenger encrypted {sec_total} in {sum(1 for t in secure if not t.get('empty'))} "
        f"threads; {fb_total + ig_total + sec_total} message records in all."),
        "",
        f"## `{FB_ROOT.name}/`",
        "",
        *dyi_table(fb),
        "",
        "Participants: "
        + "; ".join(f"{t['title']}: {', '.join(t['participants'])}" for t in fb) + ".",
        "In *Weekend crew*, `Tom Becker` sent messages and then left the group, so he is a",
        "sender but not a participant.",
        "",
        "Not threads (they must be skipped): `messages/autofill_information.json`,",
        "`messages/stickers_used/`, `messages/photos/` (the group photo, `image` of Weekend crew).",
        "",
        "Cases in *Ana María González* (three parts, `message_1.json` newest):",
        "",
        f"- photo (no `content`): {iso(photo['timestamp_ms'])}, uri `{photo['photos'][0]['uri']}` while the file is under `your_facebook_activity/messages/inbox/…` (every Facebook uri here starts `messages/`)",
        f"- call: {iso(call['timestamp_ms'])}, `call_duration` 754, \"{call['content']}\"",
        f"- missed call: {iso(missed['timestamp_ms'])}, `call_duration` 0, `missed` true, \"{missed['content']}\"",
        f"- share: {iso(share['timestamp_ms'])}, `share.link` {share['share']['link']}",
        f"- unsent: {iso(unsent['timestamp_ms'])}, `is_unsent` true, no `content`",
        f"- same `timestamp_ms` {', '.join(map(str, same_ts))} ({iso(same_ts[0])}), same sender, two messages: \"14th to 21st\" then \"with Marta, if that's ok?\"",
        f"- {iso(night['timestamp_ms'])} \"I got the job in Barcelona!!! 😭🎉\" falls on 2016-07-15 in Europe/Lisbon (that session starts 23:40 UTC, 00:40 local)",
        "- multi-line text (a shopping list whose lines start with `- `), accents, emoji, reactions",
        "",
        "Cases in *Weekend crew*: `Zoë Martin named the group Weekend crew.`, `Jordan Lee added Priya",
        "Raman to the group.` and `Tom Becker left the group.` (with `users`), a sticker, a gif, a",
        "file (`packinglist_….txt`), a video whose file is **not** in the download, messages",
        "`# not a heading, …`, `<script>alert(1)</script>` and `*stars* and _underscores_ …`,",
        "a message with two reactions by different people.",
        "",
        f"## `{IG_ROOT.name}/`",
        "",
        *dyi_table(ig),
        "",
        "Uris here start `your_instagram_activity/messages/…` and match the folders. Reactions",
        "carry `timestamp` (seconds). *Sofia Rossi* has a story reply (`share` with `link`,",
        "`share_text`, `original_content_owner`), \"Liked a message\", a message ending in",
        "\" (edited)\", and a reel share whose content is \"Sofia sent an attachment.\".",
        "",
        f"## `{SECURE_ROOT.name}/`",
        "",
        "| file | threadName | participants | messages | first → last (UTC) |",
        "|---|---|---|---:|---|",
    ]
    for t in secure:
        if t.get("empty"):
            lines.append(f"| `{t['file']}` | (zero-byte file) | | 0 | |")
            continue
        ts = [x["timestamp"] for x in t["messages"]]
        lines.append(f"| `{t['file']}` | {t['threadName']} | {', '.join(t['participants'])} | "
                     f"{len(ts)} | {iso(min(ts))} → {iso(max(ts))} |")
    types: dict[str, int] = {}
    for t in secure:
        for x in t.get("messages", []):
            types[x["type"]] = types.get(x["type"], 0) + 1
    lines += [
        "",
        "Message `type` counts: " + ", ".join(f"{k} {v}" for k, v in sorted(types.items()))
        + ". Messages are in a fixed but unsorted order. One media uri is the literal",
        "\"Failed to download media\"; the others are `./media/<hex>.jpeg` files that exist.",
        "The unsent one is `type` \"placeholder\", `isUnsent` true, text \"User unsent a message\".",
        "",
        "## The pairs a merge should find",
        "",
        (f"**Cross-app (Facebook ↔ Instagram), Maya Chen.** Facebook `{fb_maya['folder']}`:"
        f" {len(fb_keys)} messages; Instagram `{ig_maya['folder']}`: {len(ig_keys)} messages."
        f" {len(fb_keys & ig_keys)} are the same message in both (same `timestamp_ms`, same text;"
        " one of them is a photo with no text, the same JPEG bytes in both downloads under"
        " different names); Facebook only: "
        f"{len(fb_keys - ig_keys)}, Instagram only: {len(ig_keys - fb_keys)}; union"
        f" **{len(fb_keys | ig_keys)}**. The owner is \"Jordan Lee\" in one and \"Jordan L.\" in"
        f" the other. Last message {iso(last_maya)}, before Meta's mid-December 2023 switch:"
        " the merged conversation is `cross_app` and `frozen`."),
        "",
        (f"**Cutover (Facebook `e2ee_cutover` ↔ encrypted chats), Bartłomiej Nowak.** Facebook"
        f" `e2ee_cutover/{cutover['folder']}`: {len(cutover['messages'])} messages, last"
        f" {iso(cut_last)}; `{cont['file']}`: {len(cont['messages'])} messages, first"
        f" {iso(cont_first)}. No message is in both (the continuation starts after the"
        f" cutover ends), so the joined conversation has"
        f" **{len(cutover['messages']) + len(cont['messages'])}** messages; the two share only"
        " the title/thread name and the participants."),
        "",
        (f"*Weekend crew* also appears in both the Facebook inbox ({len(next(t for t in fb if t['title'] == 'Weekend crew')['messages'])}"
        f" messages, until 2023) and `Weekend crew_2.json` ({len(next(t for t in secure if t.get('threadName') == 'Weekend crew')['messages'])}"
        " messages, 2024), again without overlap."),
        "",
        "## Media",
        "",
        f"{len(media_present)} referenced files are present:",
        "",
        "| download | file | referenced by | bytes |",
        "|---|---|---|---:|",
        *[f"| {d} | `{p.name}` | {role(p)} | {p.stat().st_size} |" for d, p, ok in MEDIA if ok],
        "",
        (f"So the message attachments present are: Facebook {attachments(FB_ROOT.name)},"
        f" Instagram {attachments(IG_ROOT.name)}, encrypted chats {attachments(SECURE_ROOT.name)}."
        " The Maya Chen photo is the same bytes in both Meta downloads (one file once stored)."),
        "",
        "Missing on purpose:",
        "",
        *[f"- file not in the download: `{rel(p)}`" for p in media_missing],
        f"- the encrypted-chat media uri \"{FAILED}\" in `Bartłomiej Nowak_1.json`",
        "",
        "Pictures are drawn by the script with Pillow (landscapes, a room, a camera, a sticker",
        "and an animated GIF, a few hundred pixels each: no photograph, nobody's likeness) and",
        "the voice message is a WAV of synthetic tones, and the video (3 s, 192×144, H.264 in",
        "MP4, written by the script) plays in a browser, so the reader's viewer and the HTML",
        "export have something to show.",
        "",
        "## Files",
        "",
        "```",
        *tree_lines(FB_ROOT), *tree_lines(IG_ROOT), *tree_lines(SECURE_ROOT),
        "```",
        "",
    ]
    (HERE / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    for root in (FB_ROOT, IG_ROOT, SECURE_ROOT):
        if root.exists():
            shutil.rmtree(root)
    write_facebook()
    write_instagram()
    write_secure()
    check()
    write_readme()
    print(f"wrote {len(WRITTEN_DYI)} Meta DYI files, {len(WRITTEN_SECURE)} encrypted-chat files, "
          f"{len(MEDIA)} media references; checks passed")


if __name__ == "__main__":
    main()
