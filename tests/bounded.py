"""Running the CLI on hostile input under a memory cap, and measuring what it used.

``run_bounded(args)`` starts a fresh wrapper process that runs ``python -m ctlbuild``
under RLIMIT_AS (so a regression fails as MemoryError instead of taking the machine
down) and RLIMIT_CPU (so a hang ends), then reports the child's exit status, output,
peak RSS and CPU seconds from its own ``RUSAGE_CHILDREN`` (fresh: only that child).

Also builders for the hostile files themselves, generated small in the test."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass

#: What every hostile input must stay under (the issue's bound).
PEAK_RSS_MIB = 512
#: Address space allowed to the child: above the bound (Python maps more than it
#: touches), far below what an unbounded reader would reach.
ADDRESS_SPACE_MIB = 1536
CPU_SECONDS = 60

_WRAPPER = r"""
import json, resource, subprocess, sys
address_space, cpu, args = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
p = subprocess.run([sys.executable, "-m", "ctlbuild", *args], capture_output=True, preexec_fn=limit)
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": p.returncode, "stdout": p.stdout.decode(errors="replace"),
                  "stderr": p.stderr.decode(errors="replace"), "peak_kib": use.ru_maxrss,
                  "cpu": use.ru_utime + use.ru_stime}))
"""


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    peak_mib: float
    cpu: float

    def assert_clean_refusal(self, *needles: str, rc: int = 2) -> None:
        """Exit ``rc``, one line on stderr containing every needle, bounded memory."""
        lines = self.stderr.strip().splitlines()
        assert self.rc == rc, (self.rc, self.stderr[-2000:])
        assert len(lines) == 1, self.stderr[-2000:]
        assert "Traceback" not in self.stderr and "internal error" not in self.stderr
        for needle in needles:
            assert needle in lines[0], (needle, lines[0])
        assert self.peak_mib < PEAK_RSS_MIB, f"peak RSS {self.peak_mib:.0f} MiB"


def run_bounded(*args: str, cwd=None, env=None) -> Run:
    result = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(ADDRESS_SPACE_MIB << 20), str(CPU_SECONDS), *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env, check=True)
    out = json.loads(result.stdout)
    return Run(out["rc"], out["stdout"], out["stderr"], out["peak_kib"] / 1024, out["cpu"])


# -- cabinets -----------------------------------------------------------------------------------

def _mszip_block(size: int) -> bytes:
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    return b"CK" + body.compress(b"\0" * size) + body.flush()


def cab_bomb(*, folders: int = 1, blocks: int = 32, members: int = 1, block_uncompressed: int = 32768,
             inflate_to: int | None = None) -> bytes:
    """An MSZIP cabinet whose ``folders`` all point at the same ``blocks`` data blocks of
    zeros, and whose ``members`` all span the first folder. ``inflate_to``: one block
    that declares ``block_uncompressed`` but inflates to that many bytes."""
    block = _mszip_block(inflate_to or block_uncompressed)
    data_blocks = b"".join(struct.pack("<IHH", 0, len(block), block_uncompressed) + block for _ in range(blocks))
    names = [f"m{i}.stl".encode() + b"\0" for i in range(members)]
    files_size = sum(16 + len(n) for n in names)
    coff_files = 36 + 8 * folders
    data_start = coff_files + files_size
    total = data_start + len(data_blocks)
    header = struct.pack("<4sIIIIIBBHHHHH", b"MSCF", 0, total, 0, coff_files, 0, 3, 1, folders, members, 0, 0, 0)
    folder = struct.pack("<IHH", data_start, blocks, 1)
    # From offset 1, so that each member is a copy (a slice of all of it would not be).
    member_size = min(blocks * block_uncompressed, 0xFFFFFFFF) - 1
    files = b"".join(struct.pack("<IIHHHH", member_size, 1, 0, 0x5000, 0, 0x20) + n for n in names)
    return header + folder * folders + files + data_blocks


# -- signed CTLs with nested signatures ------------------------------------------------------------

def _signer_info(unsigned: bytes = b"") -> bytes:
    from ctlbuild.ctl import der
    sid = der.seq(der.seq(), der.integer(1))  # issuerAndSerialNumber, empty issuer
    alg = der.algorithm_id("2.16.840.1.101.3.4.2.1")
    sig_alg = der.algorithm_id("1.2.840.113549.1.1.1")
    return der.seq(der.integer(1), sid, alg, sig_alg, der.octets(b"\0" * 16), unsigned)


def _nested_attribute(values: list[bytes]) -> bytes:
    from ctlbuild.ctl import der
    attribute = der.seq(der.oid("1.3.6.1.4.1.311.2.4.1"), der.tlv(der.SET, b"".join(values)))
    return der.tlv(0xA1, attribute)


def _signed_data(ctl: bytes | None, signer_infos: list[bytes]) -> bytes:
    from ctlbuild.ctl import der
    encap = der.seq(der.oid("1.3.6.1.4.1.311.10.1"), *([der.tlv(0xA0, ctl)] if ctl is not None else []))
    body = der.seq(der.integer(1), der.tlv(der.SET, der.algorithm_id("2.16.840.1.101.3.4.2.1")), encap,
                   der.tlv(der.SET, b"".join(signer_infos)))
    return der.seq(der.oid("1.2.840.113549.1.7.2"), der.tlv(0xA0, body))


def nested_signatures(*, depth: int = 1, width: int = 1) -> bytes:
    """A signed-CTL envelope whose signer info carries ``width`` nested signatures, each
    ``depth`` deep (a nested signature's signer info carrying the next)."""
    inner = _signed_data(None, [_signer_info()])
    for _ in range(depth - 1):
        inner = _signed_data(None, [_signer_info(_nested_attribute([inner]))])
    return _signed_data(b"\x30\x00", [_signer_info(_nested_attribute([inner] * width))])


# -- serialized stores ----------------------------------------------------------------------------

def sst_of_empty_properties(count: int, *, per_context: int | None = None) -> bytes:
    """``count`` empty properties (12 bytes each), a 2-byte certificate after every
    ``per_context`` of them (or one at the end), then the end marker."""
    prop = struct.pack("<III", 11, 1, 0)
    context = struct.pack("<III", 0x20, 1, 2) + b"\x30\x00"
    per_context = per_context or count
    group = prop * per_context + context
    return b"\0\0\0\0CERT" + group * (count // per_context) + b"\0" * 12
