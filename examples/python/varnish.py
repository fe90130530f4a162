# SPDX-License-Identifier: BSD-2-Clause
"""The guest API (engine/include/tinykvm/kvm_api.h) for Python, through
ctypes and libkvm_api.so (kvm_api.c, whose functions are the call stubs).

Callbacks are ctypes CFUNCTYPE functions: the host calls the C address
libffi made for them, which re-enters the interpreter and runs the Python
function.  Register them, then call wait_for_requests(): the interpreter
is frozen there and every request runs in a fresh copy of it."""
import ctypes
import os

REQ = 0
RESP = 1

_lib = ctypes.CDLL(os.environ.get("KVM_API_LIB",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "libkvm_api.so")))

GET_FUNC = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p)
POST_FUNC = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p,
    ctypes.c_char_p, ctypes.POINTER(ctypes.c_ubyte), ctypes.c_size_t)

_lib.register_func.argtypes = [ctypes.c_int, ctypes.c_void_p]
_lib.register_func.restype = None
_lib.wait_for_requests.argtypes = []
_lib.wait_for_requests.restype = None
_lib.sys_backend_response.argtypes = [ctypes.c_int16, ctypes.c_char_p,
    ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]
_lib.sys_backend_response.restype = None
_lib.sys_http_append.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
_lib.sys_http_append.restype = ctypes.c_long
_lib.sys_http_set.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
_lib.sys_http_set.restype = ctypes.c_long
_lib.sys_http_find.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t,
    ctypes.c_char_p, ctypes.c_size_t]
_lib.sys_http_find.restype = ctypes.c_uint
_lib.sys_set_cacheable.argtypes = [ctypes.c_bool, ctypes.c_long, ctypes.c_long,
    ctypes.c_long]
_lib.sys_set_cacheable.restype = ctypes.c_long
_lib.sys_log.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_lib.sys_log.restype = ctypes.c_long

# The CFUNCTYPE objects must live as long as the program: libffi's code
# for them is freed with them.
_keep = []


def _b(s):
    return s if isinstance(s, bytes) else str(s).encode()


def sandboxed():
    return "KVM_NAME" in os.environ


def set_backend_get(fn):
    """fn(url: str, arg: str) answers a GET."""
    def entry(url, arg):
        fn((url or b"").decode(errors="replace"), (arg or b"").decode(errors="replace"))
    cb = GET_FUNC(entry)
    _keep.append(cb)
    _lib.register_func(1, ctypes.cast(cb, ctypes.c_void_p))


def set_backend_post(fn):
    """fn(url: str, arg: str, content_type: str, body: bytes) answers a POST."""
    def entry(url, arg, ctype, data, length):
        body = ctypes.string_at(data, length) if data and length else b""
        fn((url or b"").decode(errors="replace"), (arg or b"").decode(errors="replace"),
           (ctype or b"").decode(errors="replace"), body)
    cb = POST_FUNC(entry)
    _keep.append(cb)
    _lib.register_func(2, ctypes.cast(cb, ctypes.c_void_p))


def wait_for_requests():
    _lib.wait_for_requests()


def backend_response(status, content_type, body):
    """Delivers the response; the request ends there."""
    ct, b = _b(content_type), _b(body)
    _lib.sys_backend_response(status, ct, len(ct), b, len(b), None)


def http_append(where, field):
    f = _b(field)
    return _lib.sys_http_append(where, f, len(f))


def http_set(where, field):
    f = _b(field)
    return _lib.sys_http_set(where, f, len(f))


def http_find(where, key):
    """The whole field "Key: value" named key, or None."""
    k = _b(key)
    n = _lib.sys_http_find(where, k, len(k), None, 0)
    if n == 0:
        return None
    buf = ctypes.create_string_buffer(n)
    if _lib.sys_http_find(where, k, len(k), buf, n) != n:
        return None
    return buf.raw[:n].decode(errors="replace")


def set_cacheable(cached, ttl, grace=0.0, keep=0.0):
    return _lib.sys_set_cacheable(cached, int(ttl * 1000), int(grace * 1000),
                                  int(keep * 1000))


def log(text):
    t = _b(text)
    _lib.sys_log(t, len(t))
