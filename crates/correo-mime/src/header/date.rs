//! Dates: RFC 5322 date-time, its obsolete forms, asctime and the common broken forms.

use std::fmt;
use std::fmt::Write as _;

use super::lex::Cursor;

/// A calendar date and wall-clock time with the zone offset the header gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// Year (four digits; two- and three-digit years are widened as RFC 5322 says).
    pub year: u16,
    /// Month, 1-12.
    pub month: u8,
    /// Day of the month, 1-31 (valid for the month).
    pub day: u8,
    /// Hour, 0-23.
    pub hour: u8,
    /// Minute, 0-59.
    pub minute: u8,
    /// Second, 0-60 (60 is a leap second).
    pub second: u8,
    /// Offset from UTC in minutes (`+0100` is 60). `None` when the zone is unknown: no
    /// zone at all (asctime), `-0000`, a military letter or an unrecognised name.
    pub offset_minutes: Option<i32>,
}

/// Why a date could not be read, or (for [`DateTime::parse_with_defects`]) what was
/// irregular about one that was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DateDefect {
    /// The value was empty.
    #[error("empty date")]
    Empty,
    /// No month could be found.
    #[error("no month in date")]
    MissingMonth,
    /// No day of the month could be found, or it is not valid for the month.
    #[error("invalid or missing day of month")]
    InvalidDay,
    /// No year could be found, or it had too many digits.
    #[error("invalid or missing year")]
    InvalidYear,
    /// The time of day was malformed or out of range.
    #[error("invalid time of day")]
    InvalidTime,
    /// A numeric zone was malformed (`+25x`).
    #[error("invalid zone")]
    InvalidZone,
    /// (Irregular, parsed.) The day of the week does not match the date.
    #[error("day of week does not match the date")]
    DayOfWeekMismatch,
    /// (Irregular, parsed.) No time of day; midnight assumed.
    #[error("no time of day")]
    MissingTime,
    /// (Irregular, parsed.) A military single-letter zone: treated as unknown (`-0000`).
    #[error("military zone letter")]
    MilitaryZone,
    /// (Irregular, parsed.) A zone name that is not known: treated as unknown (`-0000`).
    #[error("unknown zone name")]
    UnknownZone,
    /// (Irregular, parsed.) A two- or three-digit year, widened.
    #[error("obsolete short year")]
    ShortYear,
    /// (Irregular, parsed.) Words the grammar does not allow were ignored.
    #[error("unexpected text in date")]
    TrailingGarbage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum T<'a> {
    Num { v: u32, len: usize },
    Word(&'a [u8]),
    Plus,
    Minus,
    Colon,
    Other,
}

const MONTHS: [&[u8]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];
const DAYS: [&[u8]; 7] = [b"sun", b"mon", b"tue", b"wed", b"thu", b"fri", b"sat"];
const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const FULL_MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const FULL_DAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

fn lookup(word: &[u8], short: &[&[u8]], full: &[&str]) -> Option<usize> {
    if word.len() == 3 {
        return short.iter().position(|m| m.eq_ignore_ascii_case(word));
    }
    full.iter()
        .position(|m| m.as_bytes().eq_ignore_ascii_case(word))
        .or_else(|| {
            // "Sept", "Thur", "Tues", "Weds".
            let p = word.get(..3)?;
            if word.len() == 4 {
                short.iter().position(|m| m.eq_ignore_ascii_case(p))
            } else {
                None
            }
        })
}

fn zone_name(word: &[u8]) -> Option<Result<i32, DateDefect>> {
    let mut buf = [0u8; 3];
    if word.len() > 3 {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(word) {
        *d = s.to_ascii_lowercase();
    }
    let w = buf.get(..word.len()).unwrap_or_default();
    let off = match w {
        b"ut" | b"utc" | b"gmt" | b"z" | b"wet" => 0,
        b"edt" => -4 * 60,
        b"est" | b"cdt" => -5 * 60,
        b"cst" | b"mdt" => -6 * 60,
        b"mst" | b"pdt" => -7 * 60,
        b"pst" => -8 * 60,
        [c] if c.is_ascii_alphabetic() && *c != b'j' => return Some(Err(DateDefect::MilitaryZone)),
        _ => return None,
    };
    Some(Ok(off))
}

/// Most tokens read from a date; the rest are ignored.
const MAX_TOKENS: usize = 48;

struct Tokens<'a> {
    buf: [T<'a>; MAX_TOKENS],
    len: usize,
}

impl<'a> Tokens<'a> {
    fn as_slice(&self) -> &[T<'a>] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

fn lex(value: &[u8]) -> Tokens<'_> {
    let mut c = Cursor::new(value);
    let mut toks = Tokens {
        buf: [T::Other; MAX_TOKENS],
        len: 0,
    };
    let mut scratch = Vec::new();
    while toks.len < MAX_TOKENS {
        c.skip_cfws(&mut scratch);
        let Some(b) = c.peek() else { break };
        let t = if b.is_ascii_digit() {
            let d = c.take_while(|b| b.is_ascii_digit());
            if d.len() > 9 {
                T::Other
            } else {
                T::Num {
                    v: d.iter().fold(0u32, |a, &x| a * 10 + u32::from(x - b'0')),
                    len: d.len(),
                }
            }
        } else if b.is_ascii_alphabetic() {
            T::Word(c.take_while(|b| b.is_ascii_alphabetic()))
        } else {
            c.bump();
            match b {
                b'+' => T::Plus,
                b'-' => T::Minus,
                b':' => T::Colon,
                _ => T::Other,
            }
        };
        if let Some(slot) = toks.buf.get_mut(toks.len) {
            *slot = t;
            toks.len += 1;
        }
    }
    toks
}

fn is_leap(y: u32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl DateTime {
    /// Parses a date header value leniently. Irregularities that still give a date (a
    /// wrong day of week, an unknown zone) are ignored; see
    /// [`parse_with_defects`](Self::parse_with_defects) to see them.
    pub fn parse(value: &[u8]) -> Result<DateTime, DateDefect> {
        Self::parse_with_defects(value).map(|(d, _)| d)
    }

    /// Parses a date header value, returning the date and its irregularities.
    ///
    /// Accepts RFC 5322 (`Sat, 23 Nov 2024 19:55:10 +0100`), its obsolete forms (zone
    /// names, two-digit years, comments, missing seconds or day of week), asctime
    /// (`Sat Nov 23 19:45:03 2024`), `23-Nov-2024 19:45:03 +0100`, ISO 8601
    /// (`2024-11-23T19:45:03Z`), and `+01:00` style zones.
    pub fn parse_with_defects(value: &[u8]) -> Result<(DateTime, Vec<DateDefect>), DateDefect> {
        let lexed = lex(value);
        let toks = lexed.as_slice();
        if toks.is_empty() {
            return Err(DateDefect::Empty);
        }
        let mut defects = Vec::new();
        let mut weekday: Option<usize> = None;
        let mut month: Option<u32> = None;
        let mut nums_buf = [(0u32, 0usize); 8];
        let mut nums_len = 0usize;
        let mut push_num = |n: (u32, usize), len: &mut usize| {
            if let Some(slot) = nums_buf.get_mut(*len) {
                *slot = n;
                *len += 1;
            }
        };
        let mut time: Option<(u32, u32, u32)> = None;
        let mut zone: Option<Option<i32>> = None;
        let mut pm: Option<bool> = None;
        let mut i = 0;
        // ISO 8601: YYYY-MM-DD.
        if let [
            T::Num { v: y, len: 4 },
            T::Minus,
            T::Num { v: m, len: 1..=2 },
            T::Minus,
            T::Num { v: d, len: 1..=2 },
            ..,
        ] = toks
        {
            push_num((*y, 4), &mut nums_len);
            push_num((*d, 2), &mut nums_len);
            month = Some(*m);
            i = 5;
        }
        while let Some(&t) = toks.get(i) {
            i += 1;
            match t {
                T::Num { v, len } => {
                    if toks.get(i) == Some(&T::Colon) && time.is_none() {
                        // h:m[:s]
                        let Some(T::Num { v: mi, .. }) = toks.get(i + 1).copied() else {
                            return Err(DateDefect::InvalidTime);
                        };
                        i += 2;
                        let mut s = 0;
                        if toks.get(i) == Some(&T::Colon) {
                            let Some(T::Num { v: sv, .. }) = toks.get(i + 1).copied() else {
                                return Err(DateDefect::InvalidTime);
                            };
                            s = sv;
                            i += 2;
                            // Fractional seconds.
                            if toks.get(i) == Some(&T::Other) {
                                if let Some(T::Num { .. }) = toks.get(i + 1) {
                                    i += 2;
                                }
                            }
                        }
                        time = Some((v, mi, s));
                    } else if time.is_some() && zone.is_none() && len == 4 && nums_len >= 2 {
                        // A zone without a sign (`0100`): seen in the wild.
                        zone = Some(Some(numeric_zone(1, v, 4, toks, &mut i)?));
                        defects.push(DateDefect::InvalidZone);
                    } else {
                        push_num((v, len), &mut nums_len);
                    }
                }
                T::Word(w) => {
                    if let Some(m) = lookup(w, &MONTHS, &FULL_MONTHS) {
                        if month.is_none() {
                            month = Some(m as u32 + 1);
                        } else {
                            defects.push(DateDefect::TrailingGarbage);
                        }
                    } else if let Some(d) = lookup(w, &DAYS, &FULL_DAYS) {
                        weekday = Some(d);
                    } else if w.eq_ignore_ascii_case(b"am") || w.eq_ignore_ascii_case(b"pm") {
                        pm = Some(w.eq_ignore_ascii_case(b"pm"));
                    } else if w.eq_ignore_ascii_case(b"t") && time.is_none() {
                        // ISO 8601 date/time separator.
                    } else if let Some(z) = zone_name(w) {
                        if zone.is_none() {
                            zone = Some(match z {
                                Ok(off) => Some(off),
                                Err(d) => {
                                    defects.push(d);
                                    None
                                }
                            });
                        }
                    } else if time.is_some() && zone.is_none() && w.len() >= 3 && w.len() <= 5 {
                        defects.push(DateDefect::UnknownZone);
                        zone = Some(None);
                    } else {
                        defects.push(DateDefect::TrailingGarbage);
                    }
                }
                T::Plus | T::Minus => {
                    let sign = if t == T::Plus { 1 } else { -1 };
                    match toks.get(i).copied() {
                        Some(T::Num { v, len })
                            if zone.is_none()
                                && (time.is_some() || (len == 4 && nums_len >= 2)) =>
                        {
                            i += 1;
                            let off = numeric_zone(sign, v, len, toks, &mut i)?;
                            zone = Some(if off == 0 && sign < 0 {
                                None
                            } else {
                                Some(off)
                            });
                        }
                        _ => {}
                    }
                }
                T::Colon | T::Other => {}
            }
        }
        let nums = nums_buf.get(..nums_len).unwrap_or_default();
        let month = month.ok_or(DateDefect::MissingMonth)?;
        if !(1..=12).contains(&month) {
            return Err(DateDefect::MissingMonth);
        }
        // Day and year: the year is the number with three or more digits (or above 31);
        // otherwise the first number is the day.
        let year_idx = nums
            .iter()
            .position(|&(v, len)| len >= 3 || v > 31)
            .or(if nums.len() >= 2 { Some(1) } else { None })
            .ok_or(DateDefect::InvalidYear)?;
        let (yv, ylen) = nums.get(year_idx).copied().ok_or(DateDefect::InvalidYear)?;
        let (day, _) = nums
            .iter()
            .enumerate()
            .find(|&(k, _)| k != year_idx)
            .map(|(_, &d)| d)
            .ok_or(DateDefect::InvalidDay)?;
        if nums.len() > 2 {
            defects.push(DateDefect::TrailingGarbage);
        }
        let year = match ylen {
            1 | 2 => {
                defects.push(DateDefect::ShortYear);
                if yv < 50 { 2000 + yv } else { 1900 + yv }
            }
            3 => {
                defects.push(DateDefect::ShortYear);
                1900 + yv
            }
            4 => yv,
            _ => return Err(DateDefect::InvalidYear),
        };
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateDefect::InvalidDay);
        }
        let (mut h, mi, s) = match time {
            Some(t) => t,
            None => {
                defects.push(DateDefect::MissingTime);
                (0, 0, 0)
            }
        };
        if let Some(pm) = pm {
            if h == 0 || h > 12 {
                return Err(DateDefect::InvalidTime);
            }
            h = match (pm, h) {
                (false, 12) => 0,
                (false, h) => h,
                (true, 12) => 12,
                (true, h) => h + 12,
            };
        }
        if h > 23 || mi > 59 || s > 60 {
            return Err(DateDefect::InvalidTime);
        }
        let dt = DateTime {
            year: year as u16,
            month: month as u8,
            day: day as u8,
            hour: h as u8,
            minute: mi as u8,
            second: s as u8,
            offset_minutes: zone.flatten(),
        };
        if let Some(w) = weekday {
            if w != dt.weekday() as usize {
                defects.push(DateDefect::DayOfWeekMismatch);
            }
        }
        Ok((dt, defects))
    }

    /// Day of the week, 0 = Sunday.
    pub fn weekday(&self) -> u8 {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        (days + 4).rem_euclid(7) as u8
    }

    /// RFC 3339: `2024-11-23T19:55:10+01:00`; without an offset when the zone is unknown
    /// (`2024-11-23T19:45:03`).
    pub fn to_rfc3339(&self) -> String {
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if let Some(off) = self.offset_minutes {
            let sign = if off < 0 { '-' } else { '+' };
            let a = off.unsigned_abs();
            let _ = write!(s, "{sign}{:02}:{:02}", a / 60, a % 60);
        }
        s
    }

    /// RFC 5322: `Sat, 23 Nov 2024 19:55:10 +0100`; an unknown zone is written `-0000`.
    pub fn to_rfc5322(&self) -> String {
        self.to_string()
    }

    /// Seconds since the Unix epoch. An unknown zone is taken as UTC.
    pub fn to_unix(&self) -> i64 {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes.unwrap_or(0)) * 60
    }

    /// The date-time at Unix time `secs`, expressed at `offset_minutes` from UTC (`None`:
    /// in UTC, zone unknown). `None` when the year falls outside 0-9999 or the offset is
    /// beyond ±99:59.
    pub fn from_unix(secs: i64, offset_minutes: Option<i32>) -> Option<DateTime> {
        let off = offset_minutes.unwrap_or(0);
        if off.unsigned_abs() > 99 * 60 + 59 {
            return None;
        }
        let local = secs.checked_add(i64::from(off) * 60)?;
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            return None;
        }
        Some(DateTime {
            year: y as u16,
            month: m as u8,
            day: d as u8,
            hour: (rem / 3600) as u8,
            minute: (rem % 3600 / 60) as u8,
            second: (rem % 60) as u8,
            offset_minutes,
        })
    }
}

fn numeric_zone(
    sign: i32,
    v: u32,
    len: usize,
    toks: &[T<'_>],
    i: &mut usize,
) -> Result<i32, DateDefect> {
    let (h, m) = match len {
        4 => (v / 100, v % 100),
        1 | 2 => {
            // `+01:00` or `+01`.
            if toks.get(*i) == Some(&T::Colon) {
                if let Some(T::Num { v: m, len: 2 }) = toks.get(*i + 1).copied() {
                    *i += 2;
                    (v, m)
                } else {
                    return Err(DateDefect::InvalidZone);
                }
            } else {
                (v, 0)
            }
        }
        _ => return Err(DateDefect::InvalidZone),
    };
    if m > 59 || h > 99 {
        return Err(DateDefect::InvalidZone);
    }
    Ok(sign * (h as i32 * 60 + m as i32))
}

impl fmt::Display for DateTime {
    /// RFC 5322 form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wd = DAY_NAMES
            .get(self.weekday() as usize)
            .copied()
            .unwrap_or("Sun");
        let mon = MONTH_NAMES
            .get(usize::from(self.month.saturating_sub(1)))
            .copied()
            .unwrap_or("Jan");
        write!(
            f,
            "{wd}, {} {mon} {:04} {:02}:{:02}:{:02} ",
            self.day, self.year, self.hour, self.minute, self.second
        )?;
        match self.offset_minutes {
            None => f.write_str("-0000"),
            Some(off) => {
                let sign = if off < 0 { '-' } else { '+' };
                let a = off.unsigned_abs();
                write!(f, "{sign}{:02}{:02}", a / 60, a % 60)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> DateTime {
        DateTime::parse(s.as_bytes()).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn seeds() {
        let d = p("Sat Nov 23 19:45:03 2024");
        assert_eq!(d.to_rfc3339(), "2024-11-23T19:45:03");
        assert_eq!(d.offset_minutes, None);
        assert_eq!(
            p("Sat, 23 Nov 2024 19:55:10 +0100").to_rfc3339(),
            "2024-11-23T19:55:10+01:00"
        );
        assert_eq!(
            p("Tue, 12 Sep 2023 16:50:13 -0300").to_rfc3339(),
            "2023-09-12T16:50:13-03:00"
        );
        assert_eq!(
            p("Sun, 22 Nov 2026 23:20:45 +0000 (UTC)").to_rfc3339(),
            "2026-11-22T23:20:45+00:00"
        );
        assert_eq!(p("Sun, 22 Nov 2026 23:20:45 -0000").offset_minutes, None);
        assert_eq!(
            p("Thu, 21 May 1998 05:33:22 -0700").to_rfc5322(),
            "Thu, 21 May 1998 05:33:22 -0700"
        );
    }

    #[test]
    fn rfc5322_and_obsolete() {
        assert_eq!(p("Fri, 21 Nov 1997 09:55:06 -0600").to_unix(), 880_127_706);
        assert_eq!(
            p("21 Nov 97 09:55:06 GMT").to_rfc3339(),
            "1997-11-21T09:55:06+00:00"
        );
        assert_eq!(p("Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)").to_rfc3339(), "1969-02-13T23:32:00-03:30");
        assert_eq!(p("Tue, 1 Jul 2003 10:52:37 +0200").day, 1);
        assert_eq!(p("1 Jul 2003 10:52 EDT").offset_minutes, Some(-240));
        assert_eq!(p("Mon, 1 Jan 01 00:00:00 PST").year, 2001);
        assert_eq!(p("Mon, 1 Jan 101 00:00:00 PST").year, 2001);
        assert_eq!(p("Mon, 1 Jan 2001 00:00:00 A").offset_minutes, None);
        assert_eq!(p("Mon, 1 Jan 2001 00:00:00 Z").offset_minutes, Some(0));
        assert_eq!(p("Mon, 1 Jan 2001 00:00:00 CEST").offset_minutes, None);
        assert_eq!(p("Mon,1 Jan 2001 00:00:00+0100").offset_minutes, Some(60));
        assert_eq!(
            p("23-Nov-2024 19:45:03 +0100").to_rfc3339(),
            "2024-11-23T19:45:03+01:00"
        );
        assert_eq!(
            p("2024-11-23T19:45:03Z").to_rfc3339(),
            "2024-11-23T19:45:03+00:00"
        );
        assert_eq!(
            p("2024-11-23 19:45:03.123 +01:00").to_rfc3339(),
            "2024-11-23T19:45:03+01:00"
        );
        assert_eq!(
            p("Saturday, November 23, 2024 7:45:03 PM").to_rfc3339(),
            "2024-11-23T19:45:03"
        );
        assert_eq!(
            p("Sat Nov  3 09:05:03 UTC 2024").to_rfc3339(),
            "2024-11-03T09:05:03+00:00"
        );
        let (d, defects) =
            DateTime::parse_with_defects(b"Mon, 23 Nov 2024 19:45:03 +0100").unwrap();
        assert_eq!(d.day, 23);
        assert_eq!(defects, vec![DateDefect::DayOfWeekMismatch]);
    }

    #[test]
    fn errors() {
        assert_eq!(DateTime::parse(b""), Err(DateDefect::Empty));
        assert_eq!(DateTime::parse(b"  (comment) "), Err(DateDefect::Empty));
        assert_eq!(DateTime::parse(b"yesterday"), Err(DateDefect::MissingMonth));
        assert_eq!(
            DateTime::parse(b"31 Feb 2024 10:00:00 +0000"),
            Err(DateDefect::InvalidDay)
        );
        assert_eq!(
            DateTime::parse(b"1 Feb 2024 25:00:00 +0000"),
            Err(DateDefect::InvalidTime)
        );
        assert_eq!(
            DateTime::parse(b"1 Feb 2024 10:00:00 +0099"),
            Err(DateDefect::InvalidZone)
        );
        assert_eq!(DateTime::parse(b"Feb 2024"), Err(DateDefect::InvalidDay));
    }

    #[test]
    fn unix_round_trip() {
        let d = p("Sat, 23 Nov 2024 19:55:10 +0100");
        assert_eq!(d.to_unix(), 1_732_388_110);
        assert_eq!(DateTime::from_unix(d.to_unix(), Some(60)), Some(d));
        assert_eq!(
            DateTime::from_unix(0, None).unwrap().to_rfc5322(),
            "Thu, 1 Jan 1970 00:00:00 -0000"
        );
    }
}
