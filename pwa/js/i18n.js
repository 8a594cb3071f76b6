// Vietnamese by default, English as a switch. t('key', {n: 2}) fills {n}.
const vi = {
  'app.title': 'Bình An', 'app.switch': 'Đổi hộ', 'app.lang': 'English', 'app.langName': 'Switch to English',
  'app.lastSync': 'Đồng bộ lần cuối: {at}', 'app.never': 'Chưa đồng bộ lần nào', 'app.syncing': 'Đang đồng bộ…',
  'app.offline': 'Không có sóng — tin sẽ tự gửi khi có mạng', 'app.queued': '{n} tin đang chờ gửi',
  'app.update': 'Đã có phiên bản mới', 'app.reload': 'Tải lại', 'app.version': 'Phiên bản {v}',
  'app.revoked': 'Máy này đã bị thu hồi. Hãy xin mã ghi danh mới ở công an xã.', 'app.locked': 'Đã tự khoá vì lâu không dùng',
  'app.loading': 'Đang mở…', 'app.household': 'Hộ đang mở: {name}',
  'enrol.title': 'Ghi danh máy cho tổ', 'enrol.help': 'Nhập mã ghi danh do công an xã cấp. Bước này cần có sóng, chỉ làm một lần.',
  'enrol.again': 'Ghi danh lại', 'enrol.code': 'Mã ghi danh', 'enrol.submit': 'Ghi danh', 'enrol.working': 'Đang ghi danh…',
  'enrol.offline': 'Không kết nối được. Hãy thử lại khi có sóng.', 'enrol.used': 'Mã này đã dùng hoặc đã hết hạn. Hãy xin mã mới.',
  'enrol.wrong': 'Mã không đúng. Hãy kiểm tra lại.', 'enrol.slow': 'Thử quá nhiều lần. Hãy đợi một lúc.',
  'pick.title': 'Chọn hộ của bạn', 'pick.locked': '🔒 Có mã PIN', 'pick.new': 'Chưa đặt mã PIN',
  'pin.create': 'Đặt mã PIN', 'pin.open': 'Mở khoá', 'pin.label': 'Mã PIN (4–6 số)', 'pin.again': 'Nhập lại mã PIN',
  'pin.setupHelp': 'Lần đầu dùng: đặt mã PIN riêng của hộ. Người khác dùng chung máy sẽ không đọc được tin của hộ bạn. Nếu quên mã, tin cũ trên máy không mở lại được.',
  'pin.help': 'Nhập mã PIN của hộ để mở.', 'pin.format': 'Mã PIN gồm 4 đến 6 chữ số.', 'pin.checking': 'Đang kiểm tra…',
  'pin.mismatch': 'Hai lần nhập không giống nhau.', 'pin.wrong': 'Sai mã PIN.',
  'pin.wait': 'Sai mã PIN nhiều lần. Thử lại sau {s} giây.',
  'nav.back': 'Quay lại',
  'home.write': 'Viết tin mới', 'home.draft': 'Tiếp tục bản nháp', 'home.sendNow': 'Gửi ngay', 'home.mine': 'Tin của hộ',
  'home.empty': 'Hộ chưa gửi tin nào.', 'home.purge': 'Xoá tin đã gửi khỏi máy này', 'home.code': 'Mã theo dõi: {code}',
  'home.purgeAsk': 'Xoá nội dung các tin đã gửi khỏi máy này? Chỉ giữ lại mã theo dõi và trạng thái.',
  'home.purged': 'Tin đã xoá khỏi máy', 'home.new': 'Có tin mới',
  'kind.tip': 'Báo tin an ninh', 'kind.complaint': 'Khiếu nại / góp ý', 'kind.question': 'Hỏi thủ tục giấy tờ',
  'kind.appointment': 'Đặt lịch hẹn', 'kind.help': 'Cần giúp đỡ', 'kind.lost_found': 'Tìm người / đồ thất lạc',
  'kindHelp.tip': 'Ma tuý, trộm cắp, cờ bạc…', 'kindHelp.complaint': 'Phản ánh, góp ý với công an xã',
  'kindHelp.question': 'Tạm trú, mất giấy tờ, đăng ký xe…', 'kindHelp.appointment': 'Hẹn gặp cán bộ',
  'kindHelp.help': 'Việc cần công an xã hỗ trợ', 'kindHelp.lost_found': 'Người đi lạc, đồ bị mất',
  'cat.drugs': 'Ma tuý', 'cat.theft': 'Trộm cắp', 'cat.gambling': 'Cờ bạc', 'cat.loan_shark': 'Tín dụng đen',
  'cat.fraud': 'Lừa đảo', 'cat.violence': 'Đánh nhau / hung khí', 'cat.racing': 'Đua xe', 'cat.other': 'Khác',
  'state.waiting': 'Đang chờ gửi', 'state.sending': 'Đang gửi', 'state.sent': 'Đã gửi', 'state.answered': 'Đã có trả lời',
  'state.attention': 'Cần xử lý',
  'status.new': 'Đã nhận', 'status.acknowledged': 'Đã tiếp nhận', 'status.in_progress': 'Đang xử lý',
  'status.resolved': 'Đã giải quyết', 'status.rejected': 'Không tiếp nhận', 'status.referred': 'Đã chuyển cơ quan khác',
  'new.title': 'Bạn muốn gửi gì?', 'new.category': 'Loại việc', 'new.body': 'Nội dung', 'new.location': 'Nơi xảy ra',
  'new.when': 'Ngày giờ muốn hẹn', 'new.urgent': 'Khẩn cấp', 'new.anonymous': 'Gửi ẩn danh (không ghi tên hộ)',
  'new.addPhoto': 'Thêm ảnh (tối đa 3)', 'new.photoN': 'Ảnh {n}', 'new.removePhoto': 'Bỏ ảnh {n}',
  'new.shrinking': 'Đang thu nhỏ ảnh…', 'new.badPhoto': 'Không đọc được ảnh này.', 'new.send': 'Gửi',
  'new.saveDraft': 'Lưu nháp', 'new.needBody': 'Hãy viết nội dung.',
  'new.queued': 'Đã cho vào hộp thư đi. Tin sẽ tự gửi khi có sóng.',
  'report.officer': 'Công an xã trả lời', 'report.you': 'Hộ bạn viết thêm', 'report.noCode': 'Chưa có mã theo dõi',
  'report.quota': 'Tổ đã gửi nhiều ảnh trong tháng này nên máy chủ tạm chưa nhận thêm. Ảnh vẫn được giữ trên máy và sẽ tự gửi sau.',
  'report.problem': 'Máy chủ chưa nhận tin này:', 'report.fix': 'Sửa và gửi lại', 'report.retry': 'Thử gửi lại',
  'report.drop': 'Bỏ tin này', 'report.dropAsk': 'Bỏ hẳn tin này khỏi máy?', 'report.anon': 'Ẩn danh',
  'report.photos': '{n} ảnh', 'report.purgedHelp': 'Nội dung đã xoá khỏi máy này; còn mã theo dõi và trạng thái.',
  'report.timeline': 'Diễn biến', 'report.more': 'Viết thêm cho công an xã', 'report.sendMore': 'Gửi thêm',
  'report.appt': 'Lịch hẹn: {at}',
  'news.title': 'Thông báo của xã', 'news.unread': '{n} chưa đọc', 'news.new': 'Mới', 'news.empty': 'Chưa có thông báo.',
  'news.notYet': 'chưa tải về, cần có sóng',
};

const en = {
  'app.switch': 'Switch household', 'app.lang': 'Tiếng Việt', 'app.langName': 'Chuyển sang tiếng Việt',
  'app.lastSync': 'Last synced: {at}', 'app.never': 'Never synced', 'app.syncing': 'Syncing…',
  'app.offline': 'No signal — reports will be sent when there is a link', 'app.queued': '{n} waiting to be sent',
  'app.update': 'A new version is ready', 'app.reload': 'Reload', 'app.version': 'Version {v}',
  'app.revoked': 'This phone was revoked. Ask the commune police for a new enrolment code.',
  'app.locked': 'Locked after a few idle minutes', 'app.loading': 'Opening…', 'app.household': 'Open household: {name}',
  'enrol.title': 'Enrol this phone for the group', 'enrol.help': 'Type the enrolment code from the commune police. This needs a signal, once.',
  'enrol.again': 'Enrol again', 'enrol.code': 'Enrolment code', 'enrol.submit': 'Enrol', 'enrol.working': 'Enrolling…',
  'enrol.offline': 'Could not connect. Try again when there is a signal.', 'enrol.used': 'This code was used or has expired. Ask for a new one.',
  'enrol.wrong': 'Wrong code. Please check it.', 'enrol.slow': 'Too many tries. Please wait a while.',
  'pick.title': 'Choose your household', 'pick.locked': '🔒 PIN set', 'pick.new': 'No PIN yet',
  'pin.create': 'Set PIN', 'pin.open': 'Unlock', 'pin.label': 'PIN (4–6 digits)', 'pin.again': 'PIN again',
  'pin.setupHelp': 'First use: set your household’s own PIN. Others sharing this phone cannot read your reports. A forgotten PIN cannot be recovered.',
  'pin.help': 'Enter your household’s PIN.', 'pin.format': 'A PIN is 4 to 6 digits.', 'pin.checking': 'Checking…',
  'pin.mismatch': 'The two PINs differ.', 'pin.wrong': 'Wrong PIN.', 'pin.wait': 'Too many wrong PINs. Try again in {s} s.',
  'nav.back': 'Back',
  'home.write': 'Write a report', 'home.draft': 'Continue draft', 'home.sendNow': 'Send now', 'home.mine': 'Our reports',
  'home.empty': 'No report yet.', 'home.purge': 'Remove sent reports from this phone', 'home.code': 'Tracking code: {code}',
  'home.purgeAsk': 'Remove the content of sent reports from this phone? Tracking codes and statuses stay.',
  'home.purged': 'Removed from this phone', 'home.new': 'New',
  'kind.tip': 'Security tip', 'kind.complaint': 'Complaint / feedback', 'kind.question': 'Paperwork question',
  'kind.appointment': 'Book an appointment', 'kind.help': 'Need help', 'kind.lost_found': 'Lost person / property',
  'kindHelp.tip': 'Drugs, theft, gambling…', 'kindHelp.complaint': 'Tell the commune police',
  'kindHelp.question': 'Residence, lost papers, vehicles…', 'kindHelp.appointment': 'Meet an officer',
  'kindHelp.help': 'Ask the commune police for help', 'kindHelp.lost_found': 'Missing people, lost things',
  'cat.drugs': 'Drugs', 'cat.theft': 'Theft', 'cat.gambling': 'Gambling', 'cat.loan_shark': 'Loan sharks',
  'cat.fraud': 'Fraud', 'cat.violence': 'Fights / weapons', 'cat.racing': 'Street racing', 'cat.other': 'Other',
  'state.waiting': 'Waiting', 'state.sending': 'Sending', 'state.sent': 'Sent', 'state.answered': 'Answered',
  'state.attention': 'Needs attention',
  'status.new': 'Received', 'status.acknowledged': 'Acknowledged', 'status.in_progress': 'In progress',
  'status.resolved': 'Resolved', 'status.rejected': 'Not accepted', 'status.referred': 'Referred elsewhere',
  'new.title': 'What do you want to send?', 'new.category': 'Kind of problem', 'new.body': 'What happened',
  'new.location': 'Where', 'new.when': 'Preferred date and time', 'new.urgent': 'Urgent',
  'new.anonymous': 'Send without my name', 'new.addPhoto': 'Add a photo (up to 3)', 'new.photoN': 'Photo {n}',
  'new.removePhoto': 'Remove photo {n}', 'new.shrinking': 'Shrinking photo…', 'new.badPhoto': 'Could not read this photo.',
  'new.send': 'Send', 'new.saveDraft': 'Save draft', 'new.needBody': 'Please write something.',
  'new.queued': 'Put in the outbox. It will be sent when there is a signal.',
  'report.officer': 'Commune police replied', 'report.you': 'You added', 'report.noCode': 'No tracking code yet',
  'report.quota': 'Your group has sent many photos this month, so the server is not taking more for now. The photo stays on this phone and will be sent later.',
  'report.problem': 'The server did not accept this report:', 'report.fix': 'Fix and resend', 'report.retry': 'Try again',
  'report.drop': 'Discard', 'report.dropAsk': 'Discard this report from the phone?', 'report.anon': 'Anonymous',
  'report.photos': '{n} photo(s)', 'report.purgedHelp': 'Content removed from this phone; tracking code and status kept.',
  'report.timeline': 'Timeline', 'report.more': 'Add a message for the commune police', 'report.sendMore': 'Send message',
  'report.appt': 'Appointment: {at}',
  'news.title': 'Commune announcements', 'news.unread': '{n} unread', 'news.new': 'New', 'news.empty': 'No announcement yet.',
  'news.notYet': 'not downloaded yet, needs a signal',
};

const dicts = { vi, en };
let current = (self.localStorage && localStorage.getItem('lang')) || 'vi';

/** @returns {'vi'|'en'} */
export const lang = () => current;

/** Switches the language and remembers it on this phone. */
export function setLang(l) {
  current = dicts[l] ? l : 'vi';
  localStorage.setItem('lang', current);
  document.documentElement.lang = current;
}

/** Translates a key, falling back to Vietnamese, then to the key itself. */
export function t(key, params = {}) {
  const s = dicts[current][key] ?? vi[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => params[k] ?? '');
}
