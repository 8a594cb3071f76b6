"""A corpus of realistic Vietnamese reports for the SMS codec (issue 17): every report kind, place names, plates,
phone numbers, sums of money, times, and the ways villagers really type.

Most are written with full diacritics; about one in eight is typed without them ("khong dau", as on an old
keyboard), a few in capitals or with an emoji, a few in decomposed Unicode (NFD, what some Vietnamese keyboards
produce), some with an appointment time or photos declared. The same seed gives the same corpus.
"""

from __future__ import annotations

import base64
import json
import random
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

PLACES = (
    "thôn Đông",
    "thôn Tây",
    "thôn Bắc",
    "xóm Chợ",
    "xóm Bãi",
    "xóm Giếng",
    "đội 7",
    "khu Gò Mả",
    "bản Nà Lừa",
    "ấp Phú Hòa",
    "thôn Trung Hậu",
    "làng Vân Nội",
    "xóm Đình",
    "thôn Yên Thịnh",
    "bản Lao Chải",
)
LANDMARKS = (
    "cầu tre",
    "trường tiểu học",
    "nhà văn hoá",
    "trạm y tế",
    "chợ phiên",
    "đình làng",
    "bến đò",
    "cây đa đầu làng",
    "nghĩa trang",
    "ngã ba quốc lộ 1A",
    "bờ đê sông Hồng",
    "kênh N2",
    "trạm bơm",
    "chùa Linh Quang",
    "quán bida",
    "tiệm internet",
    "cây xăng Hoàng Long",
    "xưởng mộc",
    "lò gạch cũ",
    "đầm tôm nhà ông Tư",
)
MEN = (
    "Nguyễn Văn Tâm",
    "Lê Văn Hải",
    "Trần Quốc Bảo",
    "Phạm Đình Lộc",
    "Hoàng Văn Khải",
    "Đỗ Mạnh Cường",
    "Bùi Xuân Trường",
    "Vũ Đức Thắng",
    "Lò Văn Páo",
    "Hà Văn Quyết",
)
WOMEN = (
    "Nguyễn Thị Hoa",
    "Trần Thị Mến",
    "Lê Thị Thu",
    "Phạm Thị Ngọc",
    "Đặng Thị Xuyến",
    "Vi Thị Dấu",
    "Hoàng Thị Yến",
    "Ngô Thị Ánh",
)
NICKS = ("thằng Tí", "thằng Cu Bin", "tay Long trọc", "thằng Hùng xăm trổ", "gã tên Dũng", "ả tên Loan")
THINGS = (
    "2 con gà trống",
    "chiếc xe Wave màu đỏ",
    "3 bao thóc",
    "máy bơm nước",
    "con chó vàng",
    "ví tiền",
    "điện thoại Oppo",
    "100 mét dây điện",
    "con bò cái",
    "bình ắc quy",
    "xe đạp điện",
    "két bia",
)
COLOURS = ("đen", "trắng", "xanh rêu", "đỏ sẫm", "nâu", "kẻ ca rô", "bộ đội")
VEHICLES = ("xe Exciter", "xe Wave", "xe SH", "xe máy không biển", "ô tô bán tải", "xe tải nhỏ", "xe ba gác")


def plate(rng: random.Random) -> str:
    series = f"{rng.randint(11, 99)}{rng.choice('ABCDEFGHKLMNPS')}{rng.randint(1, 9)}"
    return f"{series}-{rng.randint(100, 999)}.{rng.randint(10, 99)}"


def phone(rng: random.Random) -> str:
    return f"0{rng.choice(('9', '8', '3', '7'))}{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"


def _slots(rng: random.Random) -> dict[str, Any]:
    return {
        "place": rng.choice(PLACES),
        "place2": rng.choice(PLACES),
        "mark": rng.choice(LANDMARKS),
        "man": rng.choice(MEN),
        "woman": rng.choice(WOMEN),
        "nick": rng.choice(NICKS),
        "thing": rng.choice(THINGS),
        "colour": rng.choice(COLOURS),
        "vehicle": rng.choice(VEHICLES),
        "plate": plate(rng),
        "phone": phone(rng),
        "n": rng.randint(2, 15),
        "h": rng.randint(18, 23),
        "hm": rng.randint(5, 11),
        "m": rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50)),
        "money": rng.choice(("500 nghìn", "2 triệu", "15 triệu", "3,5 triệu", "800.000đ", "50 triệu đồng")),
        "day": rng.choice(("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")),
        "date": f"{rng.randint(1, 28)}/{rng.randint(1, 12)}",
        "age": rng.randint(14, 70),
        "dist": rng.choice((50, 100, 200, 300, 500)),
    }


TIPS: dict[str, tuple[str, ...]] = {
    "gambling": (
        "Tối nay có khoảng {n} người tụ tập đánh bạc ở nhà kho sau {mark}, {place}. Họ canh cửa, có xe {plate} đỗ "
        "ngoài ngõ. Đề nghị công an xã đến kiểm tra.",
        "Nhà ông {man} ở {place} tối nào cũng có sòng xóc đĩa, từ {h} giờ đến 2-3 giờ sáng, tiền đặt mỗi ván cả "
        "{money}. Nhiều thanh niên trong xóm bỏ cả làm ăn.",
        "Quán nước cạnh {mark} có người ghi lô đề công khai, cả học sinh cũng vào mua. Người ghi là {woman}, hay ngồi "
        "từ sáng đến trưa.",
    ),
    "drugs": (
        "Ở bãi đất trống gần {mark} ({place}) tối qua có {n} thanh niên ngồi hút, để lại kim tiêm và giấy bạc. Có "
        "{nick} người xóm khác hay chở đến bằng {vehicle}.",
        "Nghi {nick} bán ma tuý ở khu {place}: người lạ ra vào nhà liên tục lúc khuya, mỗi lần vài phút rồi đi. Xe "
        "hay đến là {vehicle} biển {plate}.",
        "Con trai tôi {age} tuổi bị rủ sử dụng ma túy đá ở tiệm internet gần {mark}. Xin công an giúp, gia "
        "đình rất lo.",
    ),
    "theft": (
        "Đêm qua khoảng {hm} giờ sáng nhà tôi ở {place} bị mất {thing}. Hàng xóm thấy 2 người đi {vehicle} không biển "
        "số, mặc áo {colour}, chạy về phía {mark}.",
        "Mấy hôm nay ở {place} mất trộm liên tục: nhà ông {man} mất {thing}, nhà bà {woman} mất 4 con gà. Nghi có "
        "người lạ thuê trọ gần {mark}.",
        "Sáng nay phát hiện chuồng bò nhà tôi bị phá khoá, mất {thing}. Dấu chân và vết bánh xe còn ở bờ ruộng sau "
        "nhà, hướng ra {place2}.",
    ),
    "loan_shark": (
        "Nhà bà {woman} vay {money} qua app, giờ bị gọi điện chửi bới, dọa tung ảnh lên Facebook, gọi cả cho "
        "người thân. Số gọi đến là {phone}.",
        "Có nhóm cho vay lãi nặng 5 nghìn/1 triệu/ngày ở {place}, đến nhà {man} đòi nợ, ném mắm tôm và sơn đỏ vào cửa "
        "lúc {h} giờ tối qua.",
    ),
    "fraud": (
        "Bố tôi {age} tuổi nhận cuộc gọi tự xưng công an, bảo chuyển {money} để 'xác minh tài khoản'. Đã chuyển rồi "
        "mới biết bị lừa. Số điện thoại: {phone}.",
        "Có người đến {place} bán thuốc chữa bệnh giá {money} một hộp, nói là hàng Nhật, nhiều cụ già đã mua. Họ đi "
        "{vehicle} biển số {plate}.",
        "Con tôi nhận tin nhắn Zalo trúng thưởng, bảo nộp phí {money}. Tôi nghi lừa đảo, xin công an kiểm "
        "tra số {phone}.",
    ),
    "violence": (
        "KHẨN: Đang có đánh nhau ở {mark}, {place}, khoảng {n} người cầm dao, gậy. Có 1 người bị chém chảy máu. Xin "
        "đến ngay!",
        "Ông {man} say rượu về đánh vợ con, hàng xóm can không được. Chị {woman} phải bế con chạy sang nhà tôi. Việc "
        "này xảy ra nhiều lần rồi.",
        "Tối {day} có nhóm thanh niên mang mã tấu tụ tập ở {mark}, nghe nói hẹn đánh nhau với nhóm {place2}.",
    ),
    "racing": (
        "Tối {day} nào cũng có {n} xe máy đua trên đường liên thôn từ {place} đến {mark}, rú ga, bốc đầu, rất nguy "
        "hiểm cho người đi đường.",
        "Đêm qua nhóm đua xe ở quốc lộ gần {mark} đâm vào cụ già đi bộ rồi bỏ chạy, xe {vehicle} biển {plate}.",
    ),
    "other": (
        "Có người lạ hay đứng chụp ảnh nhà dân ở {place} và hỏi giờ giấc đi làm của các nhà. Người đó cao khoảng "
        "1m70, đi {vehicle}.",
        "Thấy xe tải chở gỗ ra khỏi rừng phòng hộ lúc {hm} giờ sáng, đi qua {mark}, biển số {plate}.",
    ),
}
OTHERS: dict[str, tuple[str, ...]] = {
    "complaint": (
        "Quán karaoke của {man} ở {place} hát đến 1 giờ sáng, mở loa rất to, người già và trẻ nhỏ không ngủ được. "
        "Đã nhắc nhiều lần nhưng không được.",
        "Xưởng mộc cạnh {mark} xả mùn cưa và nước thải ra mương, cá chết, mùi hôi. Đề nghị xã kiểm tra và xử lý.",
        "Nhà {man} xây tường lấn sang lối đi chung khoảng 1,5 mét, xe cứu thương không vào được ngõ. Xin xã "
        "giải quyết.",
        "Đoạn đường từ {place} ra {mark} có cột điện bị nghiêng, dây điện võng thấp, trẻ con đi học rất nguy hiểm.",
        "Trâu bò của nhà {man} thả rông phá lúa của các hộ ở {place}. Đã nói nhiều lần nhưng ông ấy không nghe.",
    ),
    "question": (
        "Cho tôi hỏi thủ tục đăng ký tạm trú cho con gái đi làm ở Bình Dương về quê, cần giấy tờ gì và nộp ở đâu ạ?",
        "Tôi bị mất căn cước công dân khi đi chợ phiên ngày {date}, xin hỏi làm lại ở đâu, mất bao lâu và hết bao "
        "nhiêu tiền?",
        "Gia đình mua lại xe máy cũ của ông {man} ở {place2}, xe biển {plate}. Xin hỏi sang tên đăng ký xe thế nào?",
        "Con tôi {age} tuổi đi làm ở Hàn Quốc, cần xác nhận cư trú để làm hộ chiếu. Có làm trên mạng được không ạ?",
        "Cho hỏi người ở nhờ nhà tôi 2 tháng có phải khai báo tạm trú không? Nếu không khai thì bị phạt bao nhiêu?",
        "Tôi muốn làm lại giấy khai sinh cho cháu vì sai tên đệm, cần mang theo những gì? Cảm ơn các anh.",
    ),
    "appointment": (
        "Tôi xin hẹn gặp cán bộ công an xã để nộp hồ sơ đăng ký thường trú cho vợ, sáng {day} có được không ạ?",
        "Xin đặt lịch gặp đồng chí trưởng công an xã về việc tranh chấp đất với nhà {man}, tôi rảnh buổi chiều.",
        "Tôi cần đến lấy căn cước cho mẹ già {age} tuổi, mẹ không đi lại được, cán bộ có đến nhà được không?",
    ),
    "help": (
        "Bà {woman} {age} tuổi ở một mình tại {place}, từ sáng không thấy mở cửa, gọi không trả lời. Xin "
        "giúp kiểm tra.",
        "Nước lũ lên nhanh ở {place}, nhà tôi có 2 cụ già và 3 cháu nhỏ chưa ra được. Cần thuyền gấp!",
        "Cháu {nick} {age} tuổi bỏ nhà đi từ hôm {date}, lần cuối thấy ở {mark}, mặc áo {colour}. Gia đình "
        "nhờ tìm giúp.",
        "Có cây đổ chắn ngang đường ra {mark} sau trận gió tối qua, xe không qua được, dây điện bị đứt.",
    ),
    "lost_found": (
        "Tôi nhặt được một ví da màu nâu ở {mark}, trong có {money}, giấy tờ mang tên {man}. Xin báo để trả lại.",
        "Mất một con chó vàng, đeo vòng cổ đỏ, ở khu {place} chiều {day}. Ai thấy xin báo, gia đình hậu tạ. "
        "SĐT {phone}.",
        "Đánh rơi túi đựng giấy tờ xe và căn cước trên đường từ {place} đi chợ, sáng {date}. Ai nhặt được xin liên hệ.",
    ),
}
ADDENDA = (
    "Người đó mặc áo {colour}, đội mũ bảo hiểm, cao khoảng 1m65.",
    "Xin giữ bí mật cho tôi vì sợ bị trả thù.",
    "Tôi có chụp được ảnh, sẽ gửi sau khi có mạng.",
    "Khoảng {h} giờ {m} phút thì thấy.",
    "Bà con trong tổ liên gia đều biết nhưng không ai dám nói.",
    "Nhà tôi ở gần {mark}, có gì cán bộ gọi số {phone}.",
    "Mong công an xã sớm xử lý.",
    "Cảm ơn các anh.",
    "Việc này đã xảy ra từ tháng trước.",
)
EMOJI = ("🙏", "😡", "‼️", "🚨")


def strip_tones(text: str) -> str:
    """Text as typed without diacritics ("khong dau")."""
    folded = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _body(kind: str, category: str | None, rng: random.Random) -> str:
    pool = TIPS[category or "other"] if kind == "tip" else OTHERS[kind]
    slots = _slots(rng)
    sentences = [rng.choice(pool).format(**slots)]
    for addendum in rng.sample(ADDENDA, rng.choice((0, 1, 1, 2, 3))):
        sentences.append(addendum.format(**slots))
    text = " ".join(sentences)
    style = rng.random()
    if style < 0.12:
        text = strip_tones(text)
    elif style < 0.15:
        text = text.upper()
    elif style < 0.19:
        text = unicodedata.normalize("NFD", text)
    elif style < 0.25:
        text += " " + rng.choice(EMOJI)
    elif style < 0.30:
        text = text.replace(". ", ".\n")
    return text


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def reports(count: int = 240, seed: int = 17) -> list[dict[str, Any]]:
    """``count`` report items exactly as the phone's outbox pushes them (key for key)."""
    rng = random.Random(seed)
    kinds = ("tip",) * 5 + ("complaint", "complaint", "question", "question", "appointment", "help", "lost_found")
    start = datetime(2026, 11, 1, tzinfo=UTC)
    out = []
    for _ in range(count):
        kind = rng.choice(kinds)
        category = rng.choice(tuple(TIPS)) if kind == "tip" else None
        item: dict[str, Any] = {
            "type": "report",
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "household_id": rng.randint(1, 400),
            "kind": kind,
        }
        if category:
            item["category"] = category
        item["body"] = _body(kind, category, rng)
        item["anonymous"] = False
        if rng.random() < 0.6:
            item["location"] = f"Gần {rng.choice(LANDMARKS)}, {rng.choice(PLACES)}"
        item["urgency"] = "urgent" if kind in ("tip", "help") and rng.random() < 0.35 else "normal"
        if kind == "appointment":
            day = start + timedelta(days=rng.randint(20, 60), hours=rng.choice((1, 2, 7, 8)))
            item["appointment_at"] = day.strftime("%Y-%m-%dT%H:%M") + ":00+07:00"
        created = start + timedelta(milliseconds=rng.randint(0, 30 * 86_400_000))
        item["created_at"] = _iso(created)
        photos = rng.choice((0, 0, 0, 0, 0, 1, 2)) if kind in ("tip", "complaint", "lost_found") else 0
        item["attachments"] = [
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "sha256": f"{rng.getrandbits(256):064x}",
                "size": rng.randint(40_000, 400_000),
                "content_type": "image/jpeg",
            }
            for _ in range(photos)
        ]
        if rng.random() < 0.7:  # a household with keys signs (ADR 0005): 64 bytes more
            item["signature"] = base64.urlsafe_b64encode(rng.randbytes(64)).rstrip(b"=").decode()
        out.append(item)
    return out


def tips(count: int = 200, seed: int = 23, sealed_share: float = 0.5) -> list[dict[str, Any]]:
    """``count`` anonymous tips exactly as the phone's tip queue sends them (pwa/js/outbox.js queueTip), without
    the token: the corpus's tip texts; ``sealed_share`` of them with their words sealed to the commune's key, as a
    random box of the length the phone's seal has (65-byte key, 12-byte nonce, the JSON, 16-byte tag)."""
    rng = random.Random(seed)
    out = []
    for report in (r for r in reports(count * 4, seed) if r["kind"] == "tip"):
        point = b"\x04" + rng.randbytes(64)  # the codec carries the point's bytes; no curve check at this layer
        tip: dict[str, Any] = {
            "id": report["id"],
            "village_id": rng.randint(1, 40),
            "category": report["category"],
            "urgency": report["urgency"],
            "attachments": report["attachments"],
            "mailbox": {
                "verifier": f"{rng.getrandbits(256):064x}",
                "public_key": base64.urlsafe_b64encode(point).rstrip(b"=").decode(),
            },
        }
        words = {"body": report["body"], "location": report.get("location", "")}
        if rng.random() < sealed_share:
            size = 65 + 12 + len(json.dumps(words, ensure_ascii=False).encode()) + 16
            box = base64.urlsafe_b64encode(rng.randbytes(size)).rstrip(b"=").decode()
            tip["sealed"] = {"key_version": 1, "box": box}
        else:
            tip.update(words)
        out.append(tip)
        if len(out) == count:
            break
    return out
