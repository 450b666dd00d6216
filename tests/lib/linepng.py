"""linepng -- screenshot-like pictures of text lines for the diff's tests and benchmark,
standard library only: a line is rows of word-like dark boxes (the same line wherever it
moves, different lines different), and a picture is written as an RGB PNG."""
import os
import struct
import zlib


def write_png(path, w, rows, level=1):
    """rows: a list of byte strings of w * 3 bytes (RGB). Written through path.tmp."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + r for r in rows)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, len(rows), 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, level)) + chunk(b"IEND", b""))
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def line_row(w, ident, margin=10, widest=40, space=6):
    """One row of ink of text line `ident`: dark words 6..widest px wide on white."""
    row, x, s = bytearray(b"\xff" * (w * 3)), margin, ident * 2654435761 + 12345
    while True:
        s = (s * 1103515245 + 12345) & 0xFFFFFFFF
        ww = 6 + (s >> 16) % (widest - 5)
        if x + ww + margin > w:
            return bytes(row)
        row[x * 3:(x + ww) * 3] = b"\x1e" * (ww * 3)
        x += ww + space


def page_rows(w, ids, h, **kw):
    """Lines ids (12 rows of ink, 8 white each) from row 10, white to height h (cut there)."""
    white = b"\xff" * (w * 3)
    rows = [white] * 10
    for i in ids:
        if len(rows) >= h:
            break
        rows += [line_row(w, i, **kw)] * 12 + [white] * 8
    return (rows + [white] * h)[:h]
