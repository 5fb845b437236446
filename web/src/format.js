/** Dates and times as staff read them: Asia/Shanghai, 24-hour, Chinese order. */
const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
});
const DAY = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });

function parse(value) {
  if (!value) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatTime(value) {
  const date = parse(value);
  return date ? TIME.format(date).replace(/\//g, "-") : "—";
}

export function formatDate(value) {
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const date = parse(value);
  return date ? DAY.format(date).replace(/\//g, "-") : "—";
}

/** Today in Asia/Shanghai as YYYY-MM-DD (for date pickers' defaults). */
export function todayInChina() {
  return formatDate(new Date());
}
