"""Write the bad-input corpus next to this script (the files are committed; rerun to refresh).

    .venv/bin/python tests/bad_inputs/make.py

Every file is deterministic: random bytes come from a fixed seed, archives carry fixed
timestamps, and the encrypted PDF is built here byte by byte (RC4, standard security
handler revision 2, user password "secret"), so no PDF library is needed to make it.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
import struct
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SEEDS = ROOT / "content" / "reports"
FIXTURES = ROOT.parent / "shared" / "fixtures"

NEWS = """\
社区文化节圆满落幕

本报讯（记者 李明）上周末，城南街道第五届社区文化节在中心广场落下帷幕。

为期三天的活动吸引了周边居民数千人次参加。开幕当天，街道舞蹈队带来了扇子舞和腰鼓表演，
老年合唱团演唱了多首经典老歌，现场掌声不断。

文化节期间还举办了书法展、亲子手工课和旧物交换集市。“孩子们第一次自己动手做灯笼，特别开心。”
带着女儿参加活动的王女士说。

街道负责人介绍，下一步将把文化节中受欢迎的项目固定下来，每月在社区活动中心开展一次，
让居民在家门口就能享受丰富的文化生活。

（编辑 张华）
"""


def seed(name: str) -> str:
    return next(SEEDS.rglob(name)).read_text(encoding="utf-8")


def cut_in_table_three() -> str:
    """The 通州 seed, ending in the middle of table 三 (after 3.危及“三安全一稳定”)."""
    lines = seed("beijing-tongzhou-shangwuju-2020.txt").split("\n")
    end = next(i for i, ln in enumerate(lines) if "保护第三方合法权益" in ln)
    return "\n".join(lines[: end - 2]) + "\n"


def no_year() -> str:
    """The 南关 seed with every year taken out of the title, the prose and the date."""
    text = seed("changchun-nanguan-shangwuju-2020.txt")
    return re.sub(r"(?:19|20)\d{2}\s*年度?", "", text)


def wrong_template() -> str:
    """A report printed on the 2021 form that calls itself a report for 2019."""
    sys.path.insert(0, str(ROOT))
    from bench.synth import report

    synth = report(11, "2021", "cells", broken=False)
    return synth.text.replace(f"{synth.year + 1}年", "2020年").replace(f"{synth.year}年", "2019年")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def encrypted_pdf(user: bytes = b"secret", owner: bytes = b"owner") -> bytes:
    """A one-page PDF encrypted with 40-bit RC4 (PDF 1.3 standard security handler, R2)."""
    doc_id = hashlib.md5(b"nianbao bad input").digest()
    permissions = -44
    o_value = _rc4(hashlib.md5((owner + _PAD)[:32]).digest()[:5], (user + _PAD)[:32])
    key = hashlib.md5((user + _PAD)[:32] + o_value + struct.pack("<i", permissions)
                      + doc_id).digest()[:5]
    u_value = _rc4(key, _PAD)

    def seal(num: int, data: bytes) -> bytes:
        return _rc4(hashlib.md5(key + num.to_bytes(3, "little") + b"\0\0").digest()[:10], data)

    content = seal(4, b"BT /F1 24 Tf 72 700 Td (2020 annual report) Tj ET")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <" + o_value.hex().encode() + b"> /U <"
        + u_value.hex().encode() + b"> /P %d >>" % permissions,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.3\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % num + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 6 0 R /ID [<%s> <%s>] >>\n"
              % (len(objects) + 1, doc_id.hex().encode(), doc_id.hex().encode()))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def zip_of_something_else() -> bytes:
    """A zip archive named .docx, holding a text file and a CSV but no Word document."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("README.txt", "photos of the 2020 open day\n"),
                           ("list.csv", "name,size\nday1.jpg,10240\nday2.jpg,20480\n")):
            z.writestr(zipfile.ZipInfo(name, date_time=(2021, 1, 1, 0, 0, 0)), text)
    return out.getvalue()


def files() -> dict[str, bytes]:
    rng = random.Random(20240601)
    binary = rng.randbytes(4096)
    no_nul = bytes(b for b in rng.randbytes(6000) if b >= 0x80)[:4096]
    nanguan = seed("changchun-nanguan-shangwuju-2020.txt").encode()
    return {
        "empty.txt": b"",
        "binary.txt": binary,
        "binary-no-nul.txt": no_nul,
        "news-article.txt": NEWS.encode(),
        "cut-in-table-three.txt": cut_in_table_three().encode(),
        "wrong-template.txt": wrong_template().encode(),
        "no-year.txt": no_year().encode(),
        "truncated.pdf": (FIXTURES / "002_tongzhou_2020.pdf").read_bytes()[:3 * 1024],
        "encrypted.pdf": encrypted_pdf(),
        "not-word.docx": zip_of_something_else(),
        "sidecar-bad-yaml.txt": nanguan,
        "sidecar-bad-yaml.txt.yaml": b"agency: [\xe5\x8d\x97\xe5\x85\xb3\xe5\x8c\xba\nyear: 2020\n",
        "sidecar-unknown-keys.txt": nanguan,
        "sidecar-unknown-keys.txt.yaml": "agency: 南关区商务局\nyear: 2020\nauthor: 张三\nurl: x\n"
                                         .encode(),
    }


def main() -> None:
    for name, data in files().items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
