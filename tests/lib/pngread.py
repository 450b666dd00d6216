"""pngread -- a small PNG decoder for tests (8-bit RGB/RGBA/grey, non-interlaced), standard
library only: enough to check the colour of pixels in screenshots and charts."""
import struct
import zlib


def read(path):
    """Returns (width, height, rows) with rows a list of bytes, 3 or 4 bytes per pixel."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("%s is not a PNG" % path)
    pos, idat, w = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace or ctype not in (0, 2, 6):
                raise ValueError("unsupported PNG (depth %d, colour type %d)" % (depth, ctype))
            bpp = {0: 1, 2: 3, 6: 4}[ctype]
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    # Up rows (every row of our screenshots) and Sub rows are undone a row at a time on
    # Python integers, byte lanes added without carries (a 1280 x 20,000 shot: 41 s byte by
    # byte, 2.6 s so); Average and Paeth still byte by byte
    low, high = int.from_bytes(b"\x7f" * stride, "little"), int.from_bytes(b"\x80" * stride, "little")

    def add(a, b):
        return ((a & low) + (b & low)) ^ ((a ^ b) & high)

    rows, prev, prev_int = [], bytes(stride), 0
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if f == 2:
            prev_int = add(int.from_bytes(line, "little"), prev_int)
            line = prev_int.to_bytes(stride, "little")
        elif f == 1:
            s, shift, top = int.from_bytes(line, "little"), 8 * bpp, (1 << (8 * stride)) - 1
            while shift < 8 * stride:     # prefix sums per channel, by doubling
                s = add(s, (s << shift) & top)
                shift *= 2
            line = s.to_bytes(stride, "little")
        elif f in (3, 4):
            line = bytearray(line)
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                if f == 3:
                    line[i] = (line[i] + (a + b) // 2) & 255
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            line = bytes(line)
        if bpp == 1:
            grey = bytearray(3 * w)
            grey[0::3], grey[1::3], grey[2::3] = line, line, line
            rows.append(bytes(grey))
        else:
            rows.append(bytes(line))
        if f != 2:
            prev_int = int.from_bytes(line, "little")
        prev = line
    return w, h, rows, (3 if bpp == 1 else bpp)


def pixel(img, x, y):
    w, h, rows, bpp = img
    return tuple(rows[y][x * bpp:x * bpp + 3])
