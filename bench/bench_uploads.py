"""Memory of one picture upload: the peak resident memory a `store_image` call adds.

Each case runs in a fresh Python process (so one case's peak cannot hide another's) that
imports the app's upload code, reads the file, records its peak resident memory (VmHWM), then
stores the picture and reports how much the peak grew (Linux only). Pillow allocates
outside Python's allocator, so tracemalloc would not see it; the process's peak does.

Cases: the largest photo a phone sends (64 MP JPEG, decoded reduced), the largest PNG accepted
(12 MP, decoded whole, noisy so it does not compress away), a small everyday photo, and the
39.7 MP PNG that once cost 600 MB (now refused before decoding).
Target: every case under 150 MB above the process's memory before the upload.
"""

import io
import json
import subprocess
import sys
import tempfile

from bench import record

TARGET_MB = 150
CASES = {
    "phone photo 64 MP JPEG": ("JPEG", "RGB", (9216, 6912)),
    "largest PNG 12 MP": ("PNG", "RGBA", (4000, 3000)),
    "square phone photo 64 MP JPEG": ("JPEG", "RGB", (8000, 8000)),
    "everyday photo 12 MP JPEG": ("JPEG", "RGB", (4000, 3000)),
    "39.7 MP PNG (refused)": ("PNG", "1", (6300, 6300)),
}

# The child only reads the file and stores it: building a 64 MP picture would itself raise
# the peak that the upload is measured against.
_CHILD = r"""
import io, json, sys, tempfile
from market.uploads import UploadError, store_image

def peak_kb():  # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

data = open(sys.argv[1], "rb").read()
before = peak_kb()
try:
    stored = store_image(io.BytesIO(data), root=tempfile.mkdtemp(), max_bytes=len(data))
    outcome = f"stored {stored.width}x{stored.height}"
except UploadError as error:
    outcome = f"refused: {error}"
after = peak_kb()
print(json.dumps({"added_mb": round((after - before) / 1024, 1), "outcome": outcome}))
"""


def _picture(fmt: str, mode: str, size: tuple[int, int]) -> bytes:
    """A picture that does not compress to nothing: a band of noise, the rest flat."""
    from PIL import Image

    image = Image.new(mode, size) if mode == "1" else Image.new(mode, size, "white")
    if mode != "1":
        image.paste(Image.effect_noise((size[0], min(size[1], 400)), 64).convert(mode), (0, 0))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def _measure(fmt: str, mode: str, size: tuple[int, int]) -> dict:
    data = _picture(fmt, mode, size)
    with tempfile.NamedTemporaryFile(suffix="." + fmt.lower()) as file:
        file.write(data)
        file.flush()
        result = subprocess.run([sys.executable, "-c", _CHILD, file.name],
                                capture_output=True, text=True, check=True)
    return {"file_mb": round(len(data) / 2**20, 2), **json.loads(result.stdout)}


def main() -> bool:
    run = record.Run("uploads", parameters={"target_mb": TARGET_MB})
    figures, targets = {}, []
    for name, (fmt, mode, size) in CASES.items():
        figures[name] = measured = _measure(fmt, mode, size)
        print(f"{name:28} file {measured['file_mb']:7.2f} MB  peak +{measured['added_mb']:6.1f} MB"
              f"  {measured['outcome']}")
        targets.append(record.target(f"{name}: peak memory added", f"< {TARGET_MB} MB",
                                     measured["added_mb"], measured["added_mb"] < TARGET_MB))
    run.write(figures, targets)
    return all(t["met"] for t in targets)
