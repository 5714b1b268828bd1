#!/usr/bin/env python3
"""Writes the dcmtk dump texts (*.dump) of the DICOM byte-order twins next to this script.

The dumps are committed; make_twins.sh turns them into DICOM files with dcmtk's dump2dcm and dcmconv. Values are
arbitrary but fixed formulas (below), chosen so that the bytes of neighbouring pixels differ and every byte of a
multi-byte value differs, so that any byte-order mistake changes the decoded values. Pixel Data is written as
hex bytes (OB) or 16-bit words (OW, value = first byte + 256 * second byte of the little-endian stream), padded with
a zero byte to even length. Standard library only.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT_UID = "1.2.826.0.1.3680043.8.498.4242"
SC = "1.2.840.10008.5.1.4.1.1.7"      # Secondary Capture Image Storage
SEG = "1.2.840.10008.5.1.4.1.1.66.4"  # Segmentation Storage


def words(data):
    if len(data) % 2:
        data = data + b"\x00"
    return "\\".join("%04x" % (data[i] | data[i + 1] << 8) for i in range(0, len(data), 2))


def obytes(data):
    return "\\".join("%02x" % b for b in data)


def pack_bits(bits):
    """PS3.5 8.1.1/8.2: pixel cells concatenated, first cell in the least significant bit of the first byte."""
    out = bytearray((len(bits) + 7) // 8)
    for i, b in enumerate(bits):
        if b:
            out[i // 8] |= 1 << (i % 8)
    return bytes(out)


def dump(name, n, sop_class, rows, cols, ba, bs, hb, pr, pixel, vr, frames=1, spp=1, photometric="MONOCHROME2",
         extra=()):
    uid = "%s.%d" % (ROOT_UID, n)
    lines = [
        "# Dicom-File-Format",
        "# Dicom-Meta-Information-Header",
        "(0002,0001) OB 00\\01",
        "(0002,0002) UI [%s]" % sop_class,
        "(0002,0003) UI [%s]" % uid,
        "(0002,0010) UI =LittleEndianExplicit",
        "# Dicom-Data-Set",
        "(0008,0016) UI [%s]" % sop_class,
        "(0008,0018) UI [%s]" % uid,
        "(0008,0060) CS [OT]",
        "(0010,0020) LO [TWIN%02d]" % n,
        "(0020,000d) UI [%s.1]" % uid,
        "(0020,000e) UI [%s.2]" % uid,
        "(0028,0002) US %d" % spp,
        "(0028,0004) CS [%s]" % photometric,
    ]
    if spp > 1:
        lines.append("(0028,0006) US 0")
    if frames > 1:
        lines.append("(0028,0008) IS [%d]" % frames)
    lines += [
        "(0028,0010) US %d" % rows,
        "(0028,0011) US %d" % cols,
        "(0028,0100) US %d" % ba,
        "(0028,0101) US %d" % bs,
        "(0028,0102) US %d" % hb,
        "(0028,0103) US %d" % pr,
    ]
    lines += list(extra)
    lines.append("(7fe0,0010) %s %s" % (vr, words(pixel) if vr == "OW" else obytes(pixel)))
    with open(os.path.join(HERE, name + ".dump"), "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")


def main():
    rows, cols = 3, 5                      # 15 pixels: odd byte counts at 8 bits, frames not byte-aligned at 1 bit
    u8 = bytes((i * 37 + 11) % 256 for i in range(rows * cols))
    u8mf = bytes((i * 53 + 7) % 256 for i in range(3 * rows * cols))
    u16 = b"".join(struct.pack("<H", (i * 277 + 100) % 4096) for i in range(rows * cols))
    s16 = b"".join(struct.pack("<h", (i * 2711 + 12345) % 65536 - 32768) for i in range(rows * cols))
    u32 = b"".join(struct.pack("<I", (i * 2654435761 + 1000003) % 2**32) for i in range(rows * cols))
    s32 = b"".join(struct.pack("<i", (i * 2246822519 + 7) % 2**32 - 2**31) for i in range(rows * cols))

    dump("u8_ob", 1, SC, rows, cols, 8, 8, 7, 0, u8, "OB")
    dump("u8_ow", 2, SC, rows, cols, 8, 8, 7, 0, u8, "OW")
    dump("u8_ow_mf3", 3, SC, rows, cols, 8, 8, 7, 0, u8mf, "OW", frames=3)
    dump("u16_ow", 4, SC, rows, cols, 16, 12, 11, 0, u16, "OW")
    dump("s16_ow", 5, SC, rows, cols, 16, 16, 15, 1, s16, "OW")
    dump("u32_ow", 6, SC, rows, cols, 32, 32, 31, 0, u32, "OW")
    dump("s32_ow", 7, SC, rows, cols, 32, 32, 31, 1, s32, "OW")

    # BitsAllocated 1 (binary Segmentation): frame f, pixel i -> ((5 i + 3 f) mod 7) < 3.
    def bit(i, f):
        return 1 if (5 * i + 3 * f) % 7 < 3 else 0
    seg = ["(0062,0001) CS [BINARY]"]
    one = pack_bits([bit(i, 0) for i in range(rows * cols)])
    many = pack_bits([bit(i, f) for f in range(3) for i in range(rows * cols)])
    dump("b1_ob", 8, SEG, rows, cols, 1, 1, 0, 0, one, "OB", extra=seg)
    dump("b1_ow_mf3", 9, SEG, rows, cols, 1, 1, 0, 0, many, "OW", frames=3, extra=seg)
    dump("b1_ob_mf3", 10, SEG, rows, cols, 1, 1, 0, 0, many, "OB", frames=3, extra=seg)

    # YBR_FULL_422, 8 bits, 4 x 3 pixels: per pixel pair Y1 Y2 Cb Cr (PS3.3 C.7.6.3.1.2).
    ybr = bytearray()
    for p in range(6):                     # moderate chroma: the RGB of every pixel stays inside 0..255 (no clipping)
        ybr += bytes([60 + (p * 41) % 140, 60 + (p * 41 + 29) % 140, 128 + (p * 37) % 61 - 30, 128 + (p * 53) % 61 - 30])
    dump("ybr422", 11, SC, 3, 4, 8, 8, 7, 0, bytes(ybr), "OB", spp=3, photometric="YBR_FULL_422")

    # Twin of the implicit/explicit mismatch file (make_twins.sh writes it as implicit VR, labels it explicit).
    dump("u16_mismatch", 12, SC, rows, cols, 16, 12, 11, 0, u16, "OW")


if __name__ == "__main__":
    main()
