"""A small GGUF v3 reader/writer for making broken test files.

Independent of lmc's C++ reader: it parses a valid file into metadata and
tensors, lets a test change them, and writes the result back (tensor data
realigned). Only for tests; it trusts its input.
"""
import mmap
import struct

ALIGNMENT = 32
# Metadata value types.
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
_SCALAR = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f",
           BOOL: "<?", U64: "<Q", I64: "<q", F64: "<d"}
# ggml tensor types used here, with (block elements, block bytes).
GGML_F32, GGML_F16, GGML_Q8_0, GGML_Q5_K = 0, 1, 8, 13
BLOCK = {0: (1, 4), 1: (1, 2), 2: (32, 18), 8: (32, 34), 12: (256, 144),
         13: (256, 176), 14: (256, 210), 30: (1, 2), 39: (32, 17)}


class Value:
    def __init__(self, type, value, elem_type=None):
        self.type, self.value, self.elem_type = type, value, elem_type


class Tensor:
    def __init__(self, name, ne, type, data):
        self.name, self.ne, self.type, self.data = name, list(ne), type, data


class GGUF:
    def __init__(self, path):
        # Mapped, so that tensor data is only read when used.
        with open(path, "rb") as f:
            buf = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
        self.pos = 0
        self.buf = buf
        magic, version = bytes(buf[:4]), self._take("<I", 4)
        assert magic == b"GGUF" and version == 3, "not a GGUF v3 file"
        n_tensors, n_kv = self._take("<Q"), self._take("<Q")
        self.metadata = {}
        for _ in range(n_kv):
            key = self._string()
            t = self._take("<I")
            self.metadata[key] = self._value(t)
        infos = []
        for _ in range(n_tensors):
            name = self._string()
            n_dims = self._take("<I")
            ne = [self._take("<Q") for _ in range(n_dims)]
            infos.append((name, ne, self._take("<I"), self._take("<Q")))
        data_start = (self.pos + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
        self.tensors = []
        for name, ne, t, off in infos:
            elems = 1
            for n in ne:
                elems *= n
            block_elems, block_bytes = BLOCK[t]
            size = elems // block_elems * block_bytes
            start = data_start + off
            self.tensors.append(Tensor(name, ne, t, buf[start:start + size]))
        del self.buf

    def _take(self, fmt, at=None):
        if at is not None:
            self.pos = at
        v = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def _string(self):
        n = self._take("<Q")
        s = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return s.decode("utf-8")

    def _value(self, t):
        if t in _SCALAR:
            return Value(t, self._take(_SCALAR[t]))
        if t == STRING:
            return Value(t, self._string())
        et, n = self._take("<I"), self._take("<Q")
        return Value(ARRAY, [self._value(et).value for _ in range(n)], et)

    def tensor(self, name):
        return next(t for t in self.tensors if t.name == name)

    def save(self, path):
        out = bytearray(b"GGUF")
        out += struct.pack("<IQQ", 3, len(self.tensors), len(self.metadata))
        for key, v in self.metadata.items():
            out += _string(key) + struct.pack("<I", v.type) + _encode(v)
        offset = 0
        offsets = []
        for t in self.tensors:
            offsets.append(offset)
            offset += (len(t.data) + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
        for t, off in zip(self.tensors, offsets):
            out += _string(t.name) + struct.pack("<I", len(t.ne))
            out += b"".join(struct.pack("<Q", n) for n in t.ne)
            out += struct.pack("<IQ", t.type, off)
        out += b"\0" * (-len(out) % ALIGNMENT)
        for t in self.tensors:
            out += bytes(t.data) + b"\0" * (-len(t.data) % ALIGNMENT)
        with open(path, "wb") as f:
            f.write(out)


def _string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _encode(v):
    if v.type in _SCALAR:
        return struct.pack(_SCALAR[v.type], v.value)
    if v.type == STRING:
        return _string(v.value)
    body = struct.pack("<IQ", v.elem_type, len(v.value))
    return body + b"".join(_encode(Value(v.elem_type, e)) for e in v.value)
