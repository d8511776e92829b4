"""Writes a zip as .NET's ZipArchive does for a ZIP64 entry: the local header and central
directory entry carry 0xFFFFFFFF sizes (and in the central entry, offset and disk number
0xFFFFFFFF/0xFFFF) with the whole ZIP64 extra field (sizes, local header offset, disk
number), then a ZIP64 end of central directory record and locator before the classic one."""
import struct, sys, zlib
out, name, src = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, 'rb').read()
co = zlib.compressobj(6, zlib.DEFLATED, -15)
body = co.compress(data) + co.flush()
crc = zlib.crc32(data) & 0xffffffff
fn = name.encode()
M32 = 0xffffffff
local_extra = struct.pack('<HHQQ', 1, 16, len(data), len(body))
local = struct.pack('<IHHHHHIIIHH', 0x04034b50, 45, 0, 8, 0, 0x5221, crc, M32, M32, len(fn), len(local_extra)) + fn + local_extra
central_extra = struct.pack('<HHQQQI', 1, 28, len(data), len(body), 0, 0)
central = struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 45, 45, 0, 8, 0, 0x5221, crc, M32, M32, len(fn), len(central_extra), 0, 0xffff, 0, 0, M32) + fn + central_extra
cd_off = len(local) + len(body)
z64eocd_off = cd_off + len(central)
z64eocd = struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 45, 45, 0, 0, 1, 1, len(central), cd_off)
locator = struct.pack('<IIQI', 0x07064b50, 0, z64eocd_off, 1)
eocd = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 1, 1, len(central), M32, 0)
open(out, 'wb').write(local + body + central + z64eocd + locator + eocd)
