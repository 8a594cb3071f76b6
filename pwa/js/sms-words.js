// The SMS codec's static dictionary: the same list as server/sms/words.py (a test keeps them equal).
// Append only: the index of a word is on the wire.
export const WORDS = (
  'và của có không là người được một những trong cho đã với các này để khi thì đến ra về như lại tôi nhà đi làm ' +
  'năm ngày đó sẽ nhưng cũng ở còn nào nhiều rất hay từ theo vào lên mà nên sau trên hơn bị phải đang vì thấy nói ' +
  'biết muốn xin hỏi ạ ơi anh chị em ông bà cháu con cô chú bác dì mẹ bố cha vợ chồng gia đình hộ thôn xóm xã ' +
  'huyện tỉnh ấp bản làng phố đường ngõ hẻm số khu chợ cầu sông suối đồng ruộng núi đồi rừng trường học trạm y tế ' +
  'văn hoá hóa ủy uỷ ban nhân dân công an cảnh sát giao thông trưởng phó cán bộ chí tổ liên phòng báo tin tố giác ' +
  'trộm cắp mất đánh bạc ma tuý túy heroin chất nghiện hút tiêm kim lô đề cờ vay lãi nặng nợ đòi đe doạ dọa chửi ' +
  'bới lừa đảo điện thoại tiền tài khoản chuyển ngân hàng mạng zalo facebook nhắn gọi xe máy ô tô tải đạp biển ' +
  'kiểm soát đua rú ga tụ tập thanh niên nhóm băng dao kiếm gậy mã tấu súng hung khí nhau chém gây thương tích ' +
  'đâm cãi say rượu bia ồn ào hát karaoke đêm khuya sáng trưa chiều tối giờ phút hôm nay qua mai tuần tháng trước ' +
  'nữa lúc khoảng gần xa cạnh đầu cuối giữa bên phía trái ngoài dưới lạ mặt quen đen trắng đỏ xanh vàng nâu áo ' +
  'quần mũ bảo hiểm cao thấp gầy béo tuổi chừng hai ba bốn sáu bảy tám chín mười trăm nghìn ngàn triệu tỷ mấy vài ' +
  'cái chiếc bao thóc gạo lúa ngô gà lợn heo bò trâu chó vịt mèo cá bơm nước dây cáp đồ đạc ví gì sao thế đâu ai ' +
  'nhiêu tại vậy rồi chưa sắp vẫn cứ mới cần giúp đỡ nhờ giải quyết xử lý tra xem xét nghị kính gửi thưa cảm ơn ' +
  'mong sớm ngay lập tức khẩn cấp nguy sợ lo trả thù dám chính quyền thủ tục giấy tờ đăng ký tạm trú vắng khai ' +
  'sinh khẩu căn cước chứng minh thẻ đổi sang tên hồ sơ nộp nhận xác lịch hẹn gặp đặt buổi thứ chủ nhật trụ sở ' +
  'tiếp khiếu nại phản ánh tranh chấp đất đai ranh giới rác thải vứt xả đổ nhiễm tiếng cây cối chặt lấn chiếm xây ' +
  'dựng phép bỏ nhặt rơi tìm trẻ cụ già ốm cứu tai nạn ngã cháy bão lũ lụt sạt lở mưa gió nhốt bạo lực hành ghen ' +
  'tuông đập giết bắt cóc buôn bán vận lậu cấm pháo nổ vũ tàng trữ sử dụng chơi sòng ổ điểm quán cà phê bida ' +
  'internet game nghi ngờ vấn thường xuyên lần mỗi đều cả hết chỉ thôi đây kia ấy mình họ chúng ta nó hắn đứa ' +
  'thằng đứng ngồi chạy trốn dõi quay phim chụp ảnh camera clip video lấy đột nhập phá khoá cửa tường rào sân ' +
  'vườn kho chuồng bếp mái cổng mầm non tiểu trung cơ phổ bệnh viện thờ chùa miếu nghĩa trang bến đò phà buýt ' +
  'quốc lộ bờ đê kênh mương ao bãi trống xưởng ty viên cộng ninh trật tự toàn ổn định tình hình vụ việc sự chuyện ' +
  'hiện tượng đối khả phát cáo trình mời UBND CA CSGT CCCD CMND THPT THCS ĐT SĐT xảy mặc giữ bí mật nhỏ mang thị ' +
  'nghe nhanh nếu mua chở mở đỗ hoàng bình phạm cũ gấp thuyền tiệm lò hậu phú hòa phiên giếng đội bởi rằng cùng ' +
  'xong luôn đấy nhé vâng dạ lắm quá thật nhất nhì tiên mọi thêm bớt đủ thiếu thể chắc chắn bây lâu lớn to mạnh ' +
  'yếu khỏe đau chết sống nơi chỗ tới đưa cầm mượn thuê trọ ăn uống ngủ nghỉ chờ đợi hiểu nhớ quên tưởng hãi lắng ' +
  'vui buồn giận bực yêu ghét va cua co khong la nguoi duoc mot nhung da voi cac de thi den ve nhu lai toi nha di ' +
  'lam nam do se cung o nao nhieu rat tu vao len nen tren hon bi phai dang vi thay noi biet muon hoi a oi chi ong ' +
  'chau chu bac me bo vo chong dinh ho thon xom huyen tinh ap lang pho duong ngo hem so cau song suoi dong ruong ' +
  'nui doi rung truong hoc tram te van hoa uy nhan dan cong canh sat thong can lien phong giac trom cap mat danh ' +
  'tuy chat nghien hut tiem nang no doa chui boi lua dien').split(' ');
