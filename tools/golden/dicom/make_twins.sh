#!/usr/bin/env bash
# Builds the DICOM byte-order twins under tests/data/golden/dicom/twins from the committed dcmtk dump texts in
# tools/golden/dicom/twins/*.dump (written by tools/golden/dicom/twins/make_dumps.py), with dcmtk only:
#   NAME_le.dcm  dump2dcm (Explicit VR Little Endian, pixel bytes exactly as in the dump)
#   NAME_be.dcm  dcmconv +tb of NAME_le.dcm (Explicit VR Big Endian, OW words byte-swapped by dcmtk)
#   b1_*.N.pgm, ybr422.ppm   dcm2pnm's rendering of the 1-bit frames and of the YBR_FULL_422 image (RGB)
#   u16_mismatch.dcm  the u16_ow pixels with an Implicit VR data set under a meta group that says Explicit VR LE
# and checks each twin independently: dcmconv +te (dcmtk) and gdcmconv --raw --explicit (GDCM) of every BE file must
# give back exactly the LE twin's pixel bytes (dcmdump +W), and dcmdump -td must read the mismatch file with a warning
# and the twin's pixel bytes.
# Needs dcmtk (dump2dcm, dcmconv, dcmdump, dcm2pnm), gdcmconv and /usr/bin/python3 (one byte patch). Reproducible:
# the files depend only on the dumps (fixed UIDs, no dates).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
DUMPS="$ROOT/tools/golden/dicom/twins"
OUT="$ROOT/tests/data/golden/dicom/twins"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"

pixels() { # FILE DEST [dcmdump options]: the pixel data's bytes (little endian) as dcmdump writes them
  rm -rf "$TMP/px" && mkdir -p "$TMP/px"
  dcmdump -q "${@:3}" +W "$TMP/px" "$1" > /dev/null
  cat "$TMP"/px/*.raw > "$2"
}

for name in u8_ob u8_ow u8_ow_mf3 u16_ow s16_ow u32_ow s32_ow b1_ob b1_ow_mf3 b1_ob_mf3; do
  dump2dcm -q "$DUMPS/$name.dump" "$OUT/${name}_le.dcm"
  dcmconv -q +tb "$OUT/${name}_le.dcm" "$OUT/${name}_be.dcm"
  pixels "$OUT/${name}_le.dcm" "$TMP/le.raw"
  dcmconv -q +te "$OUT/${name}_be.dcm" "$TMP/back_dcmtk.dcm"
  gdcmconv --raw --explicit "$OUT/${name}_be.dcm" "$TMP/back_gdcm.dcm"
  pixels "$TMP/back_dcmtk.dcm" "$TMP/dcmtk.raw"
  pixels "$TMP/back_gdcm.dcm" "$TMP/gdcm.raw"
  cmp "$TMP/le.raw" "$TMP/dcmtk.raw" || { echo "dcmtk disagrees on $name" >&2; exit 1; }
  cmp "$TMP/le.raw" "$TMP/gdcm.raw" || { echo "GDCM disagrees on $name" >&2; exit 1; }
  echo "$name: dcmtk and GDCM convert the BE twin back to the LE pixel bytes"
done

# YBR_FULL_422 (OB: byte order plays no part). dcmtk's +te gives the stored bytes back; GDCM's gdcmconv --raw decodes
# the big endian copy to YBR_FULL (each pixel pair's Cb Cr repeated, no colour conversion): kept as ybr422_gdcm_full.dcm.
dump2dcm -q "$DUMPS/ybr422.dump" "$OUT/ybr422_le.dcm"
dcmconv -q +tb "$OUT/ybr422_le.dcm" "$TMP/ybr422_be.dcm"
dcmconv -q +te "$TMP/ybr422_be.dcm" "$TMP/back_dcmtk.dcm"
pixels "$OUT/ybr422_le.dcm" "$TMP/le.raw"
pixels "$TMP/back_dcmtk.dcm" "$TMP/dcmtk.raw"
cmp "$TMP/le.raw" "$TMP/dcmtk.raw" || { echo "dcmtk disagrees on ybr422" >&2; exit 1; }
gdcmconv --raw --explicit "$TMP/ybr422_be.dcm" "$OUT/ybr422_gdcm_full.dcm"
dcmdump "$OUT/ybr422_gdcm_full.dcm" > "$TMP/full.txt"
grep -q '\[YBR_FULL\].*PhotometricInterpretation' "$TMP/full.txt" ||
  { echo "GDCM did not write YBR_FULL" >&2; exit 1; }
echo "ybr422: GDCM decodes it to YBR_FULL (ybr422_gdcm_full.dcm); dcm2pnm renders it as RGB (ybr422.ppm)"

# dcmtk's decodes: 1-bit frames (0 -> 0, 1 -> nonzero grey) and the YBR_FULL_422 image converted to RGB.
dcm2pnm -q "$OUT/b1_ob_le.dcm" "$OUT/b1_ob.0.pgm"
dcm2pnm -q +Fa "$OUT/b1_ob_mf3_le.dcm" "$OUT/b1_ob_mf3"
dcm2pnm -q +Fa "$OUT/b1_ow_mf3_be.dcm" "$OUT/b1_ow_mf3"
dcm2pnm -q "$OUT/ybr422_le.dcm" "$OUT/ybr422.ppm"

# Implicit VR data set labelled Explicit VR Little Endian: write implicit, then relabel the meta group.
dump2dcm -q "$DUMPS/u16_mismatch.dump" "$OUT/u16_mismatch_twin.dcm"
dump2dcm -q +ti "$DUMPS/u16_mismatch.dump" "$TMP/implicit.dcm"
/usr/bin/python3 - "$TMP/implicit.dcm" "$OUT/u16_mismatch.dcm" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
old = b"\x02\x00\x10\x00UI\x12\x001.2.840.10008.1.2\x00"
new = b"\x02\x00\x10\x00UI\x14\x001.2.840.10008.1.2.1\x00"
assert data.count(old) == 1, "transfer syntax element not found"
data[data.index(old):data.index(old) + len(old)] = new
assert data[132:140] == b"\x02\x00\x00\x00UL\x04\x00"
struct.pack_into("<I", data, 140, struct.unpack_from("<I", data, 140)[0] + 2)
open(sys.argv[2], "wb").write(data)
PY
# dcmdump refuses the file by default; with -td (ignore the meta group's transfer syntax, detect it from the data set)
# it reads it with a warning, as does pydicom.
if dcmdump "$OUT/u16_mismatch.dcm" > /dev/null 2>&1; then echo "dcmdump read the mismatch file without -td" >&2; exit 1; fi
dcmdump -td "$OUT/u16_mismatch.dcm" > "$TMP/mismatch.txt" 2>&1
grep -q 'Wrong transfer syntax' "$TMP/mismatch.txt" || { echo "dcmdump -td did not warn" >&2; cat "$TMP/mismatch.txt" >&2; exit 1; }
grep 'Wrong transfer syntax' "$TMP/mismatch.txt" | sed 's/^/dcmdump -td: /'
pixels "$OUT/u16_mismatch.dcm" "$TMP/mm.raw" -td
pixels "$OUT/u16_mismatch_twin.dcm" "$TMP/twin.raw"
cmp "$TMP/mm.raw" "$TMP/twin.raw" || { echo "dcmtk reads other pixels from the mismatch file" >&2; exit 1; }
ls -l "$OUT"
