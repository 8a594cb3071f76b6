// The words of appointment slots (issue 15), loaded with js/screens/slots.js rather than with the shell (the first
// load's 60 KB budget); slots.js adds them to js/strings.js's dictionaries.
export const vi = {
  'appt.procedure': 'Thủ tục', 'appt.otherProcedure': 'Việc khác', 'appt.bring': 'Giấy tờ cần mang theo:',
  'appt.pick': 'Chọn giờ hẹn', 'appt.needSlot': 'Hãy chọn một giờ hẹn.',
  'appt.noSlots': 'Xã chưa mở lịch hẹn. Hãy ghi ngày giờ bạn muốn, cán bộ sẽ hẹn lại.',
  'appt.full': 'Giờ bạn chọn đã kín chỗ', 'appt.pickAgain': 'Chọn giờ khác còn trống:',
  'appt.noneFree': 'Hiện chưa còn giờ trống. Cán bộ sẽ hẹn lại với bạn.',
  'appt.picked': 'Đã chọn giờ {at}', 'appt.reminder': 'Nhắc lịch hẹn ngày mai: {at}',
};

export const en = {
  'appt.procedure': 'Procedure', 'appt.otherProcedure': 'Something else', 'appt.bring': 'Papers to bring:',
  'appt.pick': 'Pick a time', 'appt.needSlot': 'Please pick a time.',
  'appt.noSlots': 'The commune has not opened appointment times yet. Write the time you would like; an officer will set one.',
  'appt.full': 'The time you picked is full', 'appt.pickAgain': 'Pick another free time:',
  'appt.noneFree': 'No free time right now. An officer will set one with you.',
  'appt.picked': 'You picked {at}', 'appt.reminder': 'Appointment tomorrow: {at}',
};
