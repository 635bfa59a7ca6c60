#!/usr/bin/env python3
"""Write a tiny MaxMind DB (format 2.0) for tests, from the spec alone.

    mkmmdb.py OUT.mmdb [--record-size 24|28|32] NETWORK=CC[,REGION[,CITY]] ...

Each NETWORK (IPv4 or IPv6 CIDR) gets a GeoIP2-City-like record:
{"country": {"iso_code": CC, "names": {"en": CC}},
 "subdivisions": [{"names": {"en": REGION}}], "city": {"names": {"en": CITY}}}
(subdivisions and city only when given). The database is IPv6 (ip_version
6) with IPv4 networks in ::/96, as MaxMind's own databases are. A network
inside another one is more specific: networks are inserted shortest first,
so a longer prefix overrides a shorter one below it.

Layout (MaxMind DB spec, https://maxmind.github.io/MaxMind-DB/): a binary
search tree of node_count nodes, each two records of record_size bits
(a record < node_count points to a node, == node_count means "no data",
> node_count points into the data section at record - node_count - 16),
then 16 zero bytes, the data section, "\\xab\\xcd\\xefMaxMind.com" and the
metadata map. Standard library only.
"""
import argparse
import ipaddress
import sys
import time

T_POINTER, T_UTF8, T_DOUBLE, T_BYTES, T_UINT16, T_UINT32, T_MAP = 1, 2, 3, 4, 5, 6, 7
T_INT32, T_UINT64, T_UINT128, T_ARRAY, T_BOOL = 8, 9, 10, 11, 14


def control(typ, size):
    """Control byte, extended type byte, then size bytes."""
    if size < 29:
        sz, extra = size, b""
    elif size < 29 + 256:
        sz, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        sz, extra = 30, (size - 285).to_bytes(2, "big")
    else:
        sz, extra = 31, (size - 65821).to_bytes(3, "big")
    if typ <= 7:
        return bytes([(typ << 5) | sz]) + extra
    return bytes([sz, typ - 7]) + extra


class Uint:
    def __init__(self, typ, value):
        self.typ, self.value = typ, value


def encode(v):
    if isinstance(v, str):
        b = v.encode("utf-8")
        return control(T_UTF8, len(b)) + b
    if isinstance(v, Uint):
        b = v.value.to_bytes((v.value.bit_length() + 7) // 8, "big")
        return control(v.typ, len(b)) + b
    if isinstance(v, int):
        return encode(Uint(T_UINT32, v))
    if isinstance(v, dict):
        out = control(T_MAP, len(v))
        for k, x in v.items():
            out += encode(k) + encode(x)
        return out
    if isinstance(v, list):
        return control(T_ARRAY, len(v)) + b"".join(encode(x) for x in v)
    raise TypeError("cannot encode %r" % (v,))


class Node:
    def __init__(self):
        self.rec = [None, None]  # None: no data; Node; or ("data", offset)


def insert(root, net, data_off):
    bits = int(net.network_address)
    plen = net.prefixlen
    if net.version == 4:
        plen += 96  # IPv4 lives in ::/96; the address value is unchanged
    if plen == 0:
        raise ValueError("a /0 network cannot be stored")
    node = root
    for i in range(plen - 1):
        b = (bits >> (127 - i)) & 1
        child = node.rec[b]
        if not isinstance(child, Node):
            new = Node()
            if child is not None:  # push the shorter network's data down
                new.rec = [child, child]
            node.rec[b] = new
            child = new
        node = child
    node.rec[(bits >> (127 - (plen - 1))) & 1] = ("data", data_off)


def number(root):
    order, queue = [], [root]
    while queue:
        n = queue.pop(0)
        n.num = len(order)
        order.append(n)
        queue.extend(c for c in n.rec if isinstance(c, Node))
    return order


def record_value(r, node_count):
    if r is None:
        return node_count
    if isinstance(r, Node):
        return r.num
    return node_count + 16 + r[1]


def pack_node(left, right, size):
    if size == 24:
        return left.to_bytes(3, "big") + right.to_bytes(3, "big")
    if size == 28:
        mid = ((left >> 24) & 0x0F) << 4 | ((right >> 24) & 0x0F)
        return ((left & 0xFFFFFF).to_bytes(3, "big") + bytes([mid]) +
                (right & 0xFFFFFF).to_bytes(3, "big"))
    return left.to_bytes(4, "big") + right.to_bytes(4, "big")


def record_for(spec):
    parts = spec.split(",")
    cc = parts[0]
    rec = {"country": {"iso_code": cc, "names": {"en": cc}}}
    if len(parts) > 1 and parts[1]:
        rec["subdivisions"] = [{"names": {"en": parts[1]}}]
    if len(parts) > 2 and parts[2]:
        rec["city"] = {"names": {"en": parts[2]}}
    return rec


def build(entries, record_size):
    root = Node()
    data = bytearray()
    nets = []
    for arg in entries:
        net_text, _, spec = arg.partition("=")
        if not spec:
            raise ValueError("%s: want NETWORK=CC[,REGION[,CITY]]" % arg)
        nets.append((ipaddress.ip_network(net_text), spec))
    nets.sort(key=lambda x: x[0].prefixlen + (96 if x[0].version == 4 else 0))
    for net, spec in nets:
        off = len(data)
        data += encode(record_for(spec))
        insert(root, net, off)
    order = number(root)
    count = len(order)
    limit = 1 << record_size
    if count + 16 + len(data) >= limit:
        raise ValueError("too much data for %d-bit records" % record_size)
    tree = b"".join(pack_node(record_value(n.rec[0], count),
                              record_value(n.rec[1], count), record_size)
                    for n in order)
    meta = {
        "binary_format_major_version": Uint(T_UINT16, 2),
        "binary_format_minor_version": Uint(T_UINT16, 0),
        "build_epoch": Uint(T_UINT64, int(time.time())),
        "database_type": "csirtd-Test-City",
        "description": {"en": "csirtd unit test database"},
        "ip_version": Uint(T_UINT16, 6),
        "languages": ["en"],
        "node_count": Uint(T_UINT32, count),
        "record_size": Uint(T_UINT16, record_size),
    }
    return (tree + bytes(16) + bytes(data) + b"\xab\xcd\xefMaxMind.com" +
            encode(meta))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--record-size", type=int, choices=(24, 28, 32), default=28)
    ap.add_argument("networks", nargs="+", metavar="NETWORK=CC[,REGION[,CITY]]")
    args = ap.parse_args()
    try:
        blob = build(args.networks, args.record_size)
    except ValueError as e:
        print("mkmmdb: %s" % e, file=sys.stderr)
        return 2
    with open(args.out, "wb") as fh:
        fh.write(blob)
    return 0


if __name__ == "__main__":
    sys.exit(main())
