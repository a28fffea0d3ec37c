// How numbers, times and the service's codes read on the page.

/** 30.04 -> "0:30", 3723 -> "1:02:03"; unknown durations read as a dash. */
export function formatDuration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '–';
  const total = Math.round(seconds);
  const [hours, minutes, secs] = [Math.floor(total / 3600), Math.floor(total / 60) % 60, total % 60];
  const mm = hours > 0 ? String(minutes).padStart(2, '0') : String(minutes);
  return `${hours > 0 ? `${hours}:` : ''}${mm}:${String(secs).padStart(2, '0')}`;
}

const SIZE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte'];

/** 481211 -> "481.2 kB" (decimal units, as disks and networks count). */
export function formatSize(bytes) {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < SIZE_UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(undefined, {
    style: 'unit',
    unit: SIZE_UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}

/** An ISO 8601 time in the reader's locale and time zone. */
export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '–';
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The service's codes (README code table) in plain words; the reason adds the details. */
const OUTCOMES = {
  0: 'No answer',
  200: 'Stored',
  400: 'Name not allowed',
  401: 'Token needed',
  404: 'Not found',
  413: 'Too large',
  429: 'Too many requests, try again later',
  500: 'Server error',
  501: 'Already exists',
  502: 'Empty file',
  503: 'Something is missing',
  504: 'Not a supported audio file',
};

export function outcomeOf(code) {
  return OUTCOMES[code] ?? 'Failed';
}

/** "504 · format not supported: ..." — the code and reason exactly as the service gave them. */
export function codeAndReason({ code, reason }) {
  return code === 0 ? reason : `${code} · ${reason}`;
}
