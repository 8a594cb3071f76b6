// Vietnamese first (with its tones), English as a switch; the choice is kept in localStorage.

const STRINGS = {
  vi: {
    app: 'Bình An — Công an xã', signIn: 'Đăng nhập', username: 'Tên đăng nhập', password: 'Mật khẩu',
    signOut: 'Đăng xuất', wrongLogin: 'Sai tên đăng nhập hoặc mật khẩu.', tooMany: 'Thử quá nhiều lần. Vui lòng đợi một phút.',
    signOutEverywhere: 'Đăng xuất mọi nơi', signedOutEverywhere: 'Đã đăng xuất tài khoản này trên mọi máy.',
    signOutEverywhereHelp: 'Kết thúc mọi phiên đăng nhập của bạn, kể cả máy này (ví dụ khi quên đăng xuất ở máy khác hoặc mất máy).',
    accountLocked: 'Tài khoản tạm khoá vì nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau 15 phút hoặc nhờ trưởng công an xã đặt lại mật khẩu.',
    queue: 'Tin báo', announcements: 'Thông báo', groups: 'Thôn & tổ', officers: 'Cán bộ', stats: 'Thống kê',
    audit: 'Nhật ký', account: 'Tài khoản', language: 'English', langLabel: 'Switch to English',
    search: 'Tìm kiếm', searchHint: 'Tìm theo nội dung, mã tin (gõ không dấu cũng được)', filter: 'Lọc', filters: 'Bộ lọc và tìm kiếm', reset: 'Xoá lọc',
    status: 'Trạng thái', kind: 'Loại', category: 'Nhóm tin', village: 'Thôn', urgency: 'Mức độ', from: 'Từ ngày',
    to: 'Đến ngày', sort: 'Sắp xếp', all: 'Tất cả', onlyOpen: 'Đang mở', onlyUnanswered: 'Chưa trả lời',
    assignee: 'Người phụ trách', mine: 'Của tôi', nobody: 'Chưa giao', exportCsv: 'Tải CSV',
    total: (n) => `${n} tin`, page: (p, n) => `Trang ${p}/${n}`, prev: 'Trang trước', next: 'Trang sau',
    empty: 'Không có tin nào.', loading: 'Đang tải…', urgent: 'Khẩn', normal: 'Thường', overdue: 'Chờ lâu',
    anonymous: 'Ẩn danh', group: 'Tổ', household: 'Hộ', received: 'Nhận lúc', location: 'Địa điểm',
    back: '← Quay lại', photos: 'Ảnh', uploading: (r, s) => `Đang tải lên: ${r}/${s} byte`, thread: 'Trao đổi',
    reply: 'Trả lời hộ dân', note: 'Ghi chú nội bộ', send: 'Gửi', addNote: 'Lưu ghi chú', internal: 'Nội bộ',
    fromHousehold: 'Hộ dân', changeStatus: 'Đổi trạng thái', reason: 'Lý do', reasonNeeded: 'Cần ghi lý do',
    apply: 'Cập nhật', assign: 'Giao cho', save: 'Lưu', appointment: 'Lịch hẹn', requested: 'Dân đề nghị',
    confirm: 'Xác nhận lịch hẹn', confirmed: 'Đã hẹn', tracking: 'Mã tin', readOnPhone: 'Đã xem trên máy',
    sent: 'Đã gửi', saved: 'Đã lưu', failed: 'Không thực hiện được', network: 'Mất kết nối tới máy chủ',
    newAnnouncement: 'Soạn thông báo', title: 'Tiêu đề', body: 'Nội dung', wholeCommune: 'Toàn xã',
    targets: 'Gửi tới', targetsHint: 'Không chọn thôn nào: gửi toàn xã.', expires: 'Hết hạn', files: 'Biểu mẫu (PDF hoặc ảnh)', addFile: 'Đính kèm',
    publish: 'Đăng', expireNow: 'Cho hết hạn', withdraw: 'Thu hồi', remove: 'Xoá', createDraft: 'Lưu nháp',
    readBy: (n) => `${n} tổ đã xem`, villages: 'Thôn', newVillage: 'Thêm thôn', name: 'Tên', rename: 'Đổi tên',
    newGroup: 'Thêm tổ', groupList: 'Tổ liên gia', code: 'Mã', households: 'Hộ gia đình', phones: 'Điện thoại', lastSeen: 'Đồng bộ lần cuối',
    never: 'Chưa', revoke: 'Thu hồi máy', revoked: 'Đã thu hồi', revokeAsk: 'Thu hồi điện thoại này? Máy sẽ không gửi được nữa.',
    enrolCode: 'Cấp mã kích hoạt', enrolCodeFor: 'Mã kích hoạt cho', validUntil: 'Dùng một lần, hết hạn lúc',
    print: 'In', addHousehold: 'Thêm hộ', deactivate: 'Ngừng', activate: 'Kích hoạt lại', inactive: 'Đã ngừng',
    newOfficer: 'Thêm cán bộ', displayName: 'Họ tên', role: 'Vai trò', active: 'Hoạt động', resetPassword: 'Đặt lại mật khẩu',
    newPassword: 'Mật khẩu mới', currentPassword: 'Mật khẩu hiện tại', changePassword: 'Đổi mật khẩu',
    passwordChanged: 'Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc.', passwordRule: 'Ít nhất 8 ký tự.',
    wrongPassword: 'Mật khẩu hiện tại không đúng.', period: 'Khoảng thời gian', byKind: 'Theo loại',
    byCategory: 'Tin báo theo nhóm', byVillage: 'Theo thôn', byStatus: 'Theo trạng thái', overTime: 'Theo thời gian',
    medianAnswer: 'Thời gian trả lời (trung vị)', openByAge: 'Tin đang mở theo thời gian chờ', answered: 'đã trả lời',
    unanswered: 'chưa trả lời', action: 'Hành động', target: 'Đối tượng', when: 'Thời gian', who: 'Người thực hiện',
    details: 'Chi tiết', none: '—', communes: 'Xã', newCommune: 'Thêm xã', hours: (h) => `${h} giờ`,
    minutes: (m) => `${m} phút`, days: (d) => `${d} ngày`, ageBucket: { '0-1': '< 1 ngày', '1-3': '1–3 ngày', '3-7': '3–7 ngày', '7+': '> 7 ngày' },
    skip: 'Bỏ qua, tới nội dung', chartData: 'Bảng số liệu', menu: 'Trình đơn',
  },
  en: {
    app: 'Bình An — Commune police', signIn: 'Sign in', username: 'Username', password: 'Password',
    signOut: 'Sign out', wrongLogin: 'Wrong username or password.', tooMany: 'Too many attempts. Please wait a minute.',
    signOutEverywhere: 'Sign out everywhere', signedOutEverywhere: 'This account is now signed out on every computer.',
    signOutEverywhereHelp: 'Ends every session of yours, this one included (a computer left signed in, or a lost laptop).',
    accountLocked: 'This account is locked after too many wrong passwords. Try again in 15 minutes or ask the commune head to reset the password.',
    queue: 'Reports', announcements: 'Announcements', groups: 'Villages & groups', officers: 'Officers', stats: 'Stats',
    audit: 'Audit log', account: 'Account', language: 'Tiếng Việt', langLabel: 'Chuyển sang tiếng Việt',
    search: 'Search', searchHint: 'Text or tracking code (tones optional)', filter: 'Filter', filters: 'Filters and search', reset: 'Clear filters',
    status: 'Status', kind: 'Kind', category: 'Category', village: 'Village', urgency: 'Urgency', from: 'From',
    to: 'To', sort: 'Sort', all: 'All', onlyOpen: 'Open', onlyUnanswered: 'Unanswered',
    assignee: 'Assigned to', mine: 'Mine', nobody: 'Nobody', exportCsv: 'Download CSV',
    total: (n) => `${n} reports`, page: (p, n) => `Page ${p}/${n}`, prev: 'Previous', next: 'Next',
    empty: 'No reports.', loading: 'Loading…', urgent: 'Urgent', normal: 'Normal', overdue: 'Waiting long',
    anonymous: 'Anonymous', group: 'Group', household: 'Household', received: 'Received', location: 'Place',
    back: '← Back', photos: 'Photos', uploading: (r, s) => `Uploading: ${r}/${s} bytes`, thread: 'Thread',
    reply: 'Reply to the household', note: 'Internal note', send: 'Send', addNote: 'Save note', internal: 'Internal',
    fromHousehold: 'Household', changeStatus: 'Change status', reason: 'Reason', reasonNeeded: 'A reason is needed',
    apply: 'Apply', assign: 'Assign to', save: 'Save', appointment: 'Appointment', requested: 'Requested',
    confirm: 'Confirm appointment', confirmed: 'Confirmed', tracking: 'Tracking code', readOnPhone: 'Read on the phone',
    sent: 'Sent', saved: 'Saved', failed: 'That did not work', network: 'Cannot reach the server',
    newAnnouncement: 'New announcement', title: 'Title', body: 'Text', wholeCommune: 'Whole commune',
    targets: 'Send to', targetsHint: 'No village ticked: the whole commune.', expires: 'Expires', files: 'Forms (PDF or images)', addFile: 'Attach',
    publish: 'Publish', expireNow: 'Expire now', withdraw: 'Withdraw', remove: 'Remove', createDraft: 'Save draft',
    readBy: (n) => `read by ${n} groups`, villages: 'Villages', newVillage: 'Add village', name: 'Name', rename: 'Rename',
    newGroup: 'Add group', groupList: 'Household groups', code: 'Code', households: 'Households', phones: 'Phones', lastSeen: 'Last sync',
    never: 'Never', revoke: 'Revoke phone', revoked: 'Revoked', revokeAsk: 'Revoke this phone? It will not be able to send any more.',
    enrolCode: 'Issue enrolment code', enrolCodeFor: 'Enrolment code for', validUntil: 'Single use, expires',
    print: 'Print', addHousehold: 'Add household', deactivate: 'Deactivate', activate: 'Reactivate', inactive: 'Inactive',
    newOfficer: 'Add officer', displayName: 'Full name', role: 'Role', active: 'Active', resetPassword: 'Reset password',
    newPassword: 'New password', currentPassword: 'Current password', changePassword: 'Change password',
    passwordChanged: 'Password changed. Your other sessions have ended.', passwordRule: 'At least 8 characters.',
    wrongPassword: 'The current password is wrong.', period: 'Period', byKind: 'By kind',
    byCategory: 'Tips by category', byVillage: 'By village', byStatus: 'By status', overTime: 'Over time',
    medianAnswer: 'Time to first answer (median)', openByAge: 'Open reports by waiting time', answered: 'answered',
    unanswered: 'unanswered', action: 'Action', target: 'Target', when: 'When', who: 'Who',
    details: 'Details', none: '—', communes: 'Communes', newCommune: 'Add commune', hours: (h) => `${h} h`,
    minutes: (m) => `${m} min`, days: (d) => `${d} days`, ageBucket: { '0-1': '< 1 day', '1-3': '1–3 days', '3-7': '3–7 days', '7+': '> 7 days' },
    skip: 'Skip to content', chartData: 'Data table', menu: 'Menu',
  },
};

const LABELS = {
  vi: {
    status: { new: 'Mới', acknowledged: 'Đã tiếp nhận', in_progress: 'Đang xử lý', resolved: 'Đã giải quyết', rejected: 'Tin sai', referred: 'Chuyển cấp trên' },
    kind: { tip: 'Tin báo', complaint: 'Khiếu nại', question: 'Hỏi đáp', appointment: 'Đặt lịch hẹn', help: 'Cần giúp đỡ', lost_found: 'Mất/nhặt được đồ' },
    category: { drugs: 'Ma tuý', theft: 'Trộm cắp', gambling: 'Cờ bạc', loan_shark: 'Tín dụng đen', fraud: 'Lừa đảo', violence: 'Đánh nhau, hung khí', racing: 'Đua xe', other: 'Khác' },
    role: { officer: 'Cán bộ', head: 'Trưởng công an xã', admin: 'Quản trị' },
    sort: { newest: 'Mới nhất', oldest: 'Cũ nhất', urgent: 'Khẩn trước', waiting: 'Chờ lâu nhất', updated: 'Vừa cập nhật' },
    state: { draft: 'Nháp', published: 'Đã đăng', expired: 'Hết hạn', withdrawn: 'Đã thu hồi' },
  },
  en: {
    status: { new: 'New', acknowledged: 'Acknowledged', in_progress: 'In progress', resolved: 'Resolved', rejected: 'Rejected (false)', referred: 'Referred' },
    kind: { tip: 'Tip', complaint: 'Complaint', question: 'Question', appointment: 'Appointment', help: 'Help', lost_found: 'Lost & found' },
    category: { drugs: 'Drugs', theft: 'Theft', gambling: 'Gambling', loan_shark: 'Loan sharks', fraud: 'Fraud', violence: 'Violence, weapons', racing: 'Street racing', other: 'Other' },
    role: { officer: 'Officer', head: 'Commune head', admin: 'Administrator' },
    sort: { newest: 'Newest', oldest: 'Oldest', urgent: 'Urgent first', waiting: 'Waiting longest', updated: 'Recently updated' },
    state: { draft: 'Draft', published: 'Published', expired: 'Expired', withdrawn: 'Withdrawn' },
  },
};

let lang = localStorage.getItem('binhan.console.lang') === 'en' ? 'en' : 'vi';

/** The current language code ('vi' or 'en'). */
export function language() { return lang; }

/** Switches language and remembers it. */
export function setLanguage(code) {
  lang = code === 'en' ? 'en' : 'vi';
  localStorage.setItem('binhan.console.lang', lang);
  document.documentElement.lang = lang;
}

/** A UI string; functions are called with args. */
export function t(key, ...args) {
  const value = STRINGS[lang][key] ?? STRINGS.vi[key] ?? key;
  return typeof value === 'function' ? value(...args) : value;
}

/** A label for an enum value of the API (status, kind, category, role, sort, state). */
export function label(kind, value) {
  return LABELS[lang][kind]?.[value] ?? value;
}

/** The values of an enum, in display order. */
export function values(kind) { return Object.keys(LABELS.vi[kind]); }

/** A date and time in the commune's way of writing it. */
export function when(iso) {
  if (!iso) return t('none');
  return new Date(iso).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', {
    dateStyle: 'short', timeStyle: 'short', timeZone: 'Asia/Ho_Chi_Minh',
  });
}

/** A duration in seconds, in words ("3 giờ"). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return t('none');
  if (seconds < 3600) return t('minutes', Math.max(1, Math.round(seconds / 60)));
  if (seconds < 48 * 3600) return t('hours', Math.round(seconds / 360) / 10);
  return t('days', Math.round(seconds / 8640) / 10);
}
