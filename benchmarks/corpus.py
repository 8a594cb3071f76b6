"""Realistic report items for every benchmark: Vietnamese text with tones, of the size villagers write.

The same seed gives the same reports, so two servers (or two runs) are fed exactly the same bytes. Every body
is unique (a running number and random details are woven in), so neither compression across reports nor a
server-side cache of identical content can flatter a result.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

OPENINGS = (
    "Kính gửi công an xã,",
    "Thưa các anh công an,",
    "Tôi xin báo tin:",
    "Nhờ công an xã giúp đỡ:",
    "Cho tôi hỏi:",
)
SENTENCES = {
    "theft": (
        "Đêm qua có người lạ đi xe máy không biển số vào nhà bà {name} lấy trộm {thing}.",
        "Mấy hôm nay trong xóm mất trộm liên tục, nhà ông {name} bị mất {thing} lúc nửa đêm.",
        "Có hai thanh niên lảng vảng quanh chợ, nhìn vào các nhà có {thing} để ngoài sân.",
    ),
    "gambling": (
        "Nhóm khoảng {count} người tụ tập đánh bạc ở nhà kho cuối thôn, tối nào cũng có.",
        "Ở quán nước nhà ông {name} có người tổ chức ghi lô đề, trẻ con cũng vào chơi.",
    ),
    "loan_shark": (
        "Có người cho vay lãi nặng, {count} nghìn đồng một ngày cho một triệu, đến nhà đòi nợ và đe doạ.",
        "Nhà bà {name} vay tiền qua ứng dụng, giờ bị gọi điện chửi bới và dọa tung ảnh lên mạng.",
    ),
    "racing": (
        "Tối thứ Bảy có nhóm khoảng {count} xe đua trên đường liên thôn, rú ga rất nguy hiểm.",
        "Thanh niên nơi khác đến tụ tập đua xe ở đoạn đường mới làm gần trường học.",
    ),
    "drugs": (
        "Ở bãi đất trống sau trạm y tế thấy có người tụ tập, để lại kim tiêm và giấy bạc.",
        "Có xe ô tô lạ đỗ ở đầu ngõ lúc khuya, người ra vào liên tục, nghi mua bán ma tuý.",
    ),
    "question": (
        "Cho tôi hỏi thủ tục đăng ký tạm trú cho con gái đi làm xa về cần những giấy tờ gì ạ?",
        "Tôi bị mất căn cước công dân khi đi chợ phiên, xin hỏi làm lại ở đâu và mất bao lâu?",
        "Gia đình mua lại xe máy cũ của ông {name}, xin hỏi sang tên đăng ký xe thế nào?",
    ),
}
DETAILS = (
    "Khoảng {hour} giờ {minute} phút, xe biển số {plate}.",
    "Người đó mặc áo {colour}, đội mũ bảo hiểm màu đen, cao khoảng {height} mét.",
    "Gần cầu tre, cách đường lớn chừng {count}0 mét, đi về phía cánh đồng.",
    "Bà con trong tổ liên gia đều biết nhưng sợ bị trả thù nên không dám nói.",
)
NAMES = ("Lan", "Hùng", "Thảo", "Đức", "Nguyệt", "Phượng", "Quý", "Hằng", "Sơn", "Thuỷ")
THINGS = ("hai con gà", "chiếc xe đạp", "bao thóc", "máy bơm nước", "con chó", "ví tiền", "điện thoại")
COLOURS = ("xanh", "đỏ sẫm", "trắng", "nâu", "kẻ sọ")
LOCATIONS = ("Gần cầu tre, thôn Đông", "Ngõ 3, xóm Chợ", "Cuối thôn Tây, cạnh nhà văn hoá", "Bãi sông Hồng")
KINDS = {"theft": "tip", "gambling": "tip", "loan_shark": "tip", "racing": "tip", "drugs": "tip"}


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        name=rng.choice(NAMES),
        thing=rng.choice(THINGS),
        count=rng.randint(3, 30),
        hour=rng.randint(18, 23),
        minute=rng.randint(0, 59),
        plate=f"{rng.randint(11, 99)}{rng.choice('ABCDEFGH')}{rng.randint(1, 9)}-"
        f"{rng.randint(100, 999)}.{rng.randint(10, 99)}",
        colour=rng.choice(COLOURS),
        height=f"1,{rng.randint(55, 80)}",
    )


def body_text(number: int, rng: random.Random) -> tuple[str, str | None]:
    """A report body of about 150–450 characters and its category (None for a question)."""
    topic = rng.choice(tuple(SENTENCES))
    sentences = [rng.choice(OPENINGS)]
    pool = SENTENCES[topic]
    sentences += [_fill(template, rng) for template in rng.sample(pool, rng.randint(1, min(2, len(pool))))]
    sentences += [_fill(detail, rng) for detail in rng.sample(DETAILS, rng.randint(1, 3))]
    sentences.append(f"(tin số {number})")
    return " ".join(sentences), None if topic == "question" else topic


def report_item(
    number: int, household_id: int, rng: random.Random, now: datetime | None = None, ids: random.Random | None = None
) -> dict[str, Any]:
    """One push item as the household PWA sends it (docs/api-contract.md, "report"); ids drawn from ``ids``."""
    body, category = body_text(number, rng)
    created = (now or datetime.now(UTC)) - timedelta(minutes=rng.randint(1, 3 * 24 * 60))
    return {
        "type": "report",
        "id": str(uuid.UUID(int=(ids or rng).getrandbits(128), version=4)),
        "household_id": household_id,
        "kind": KINDS.get(category or "", "question"),
        "category": category,
        "body": body,
        # Anonymous tips travel alone (ADR 0004): none here; the draw stays so the corpus stays the same.
        "anonymous": rng.random() < 0.0,
        "location": rng.choice(LOCATIONS),
        "urgency": "urgent" if rng.random() < 0.1 else "normal",
        "created_at": created.isoformat(timespec="seconds"),
        "attachments": [],
    }


def reports(
    count: int, household_ids: list[int], seed: int = 42, *, id_seed: int | None = None
) -> list[dict[str, Any]]:
    """``count`` reports spread over the group's households; the same seed gives the same reports.

    ``id_seed`` draws the UUIDs apart from the content: the same texts can then be stored twice as new reports.
    """
    rng = random.Random(seed)
    ids = random.Random(f"ids-{id_seed}") if id_seed is not None else None
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    return [report_item(n, rng.choice(household_ids), rng, now, ids) for n in range(1, count + 1)]
