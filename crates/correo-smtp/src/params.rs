//! `MAIL FROM` and `RCPT TO` parameters (ESMTP extensions).

use std::borrow::Cow;
use std::fmt;

use crate::path::{Mailbox, parse_mailbox, split_byte};

/// The `BODY=` parameter (RFC 6152, RFC 3030).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyType {
    /// `BODY=7BIT`.
    SevenBit,
    /// `BODY=8BITMIME`.
    EightBitMime,
    /// `BODY=BINARYMIME` (requires BDAT).
    BinaryMime,
}

impl BodyType {
    /// The parameter value as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            BodyType::SevenBit => "7BIT",
            BodyType::EightBitMime => "8BITMIME",
            BodyType::BinaryMime => "BINARYMIME",
        }
    }
}

/// The DSN `RET=` parameter (RFC 3461).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `RET=FULL`: return the whole message.
    Full,
    /// `RET=HDRS`: return the headers only.
    Hdrs,
}

/// The DSN `NOTIFY=` parameter (RFC 3461).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Notify {
    /// `SUCCESS`.
    pub success: bool,
    /// `FAILURE`.
    pub failure: bool,
    /// `DELAY`.
    pub delay: bool,
}

impl Notify {
    /// `NOTIFY=NEVER`.
    pub const NEVER: Notify = Notify {
        success: false,
        failure: false,
        delay: false,
    };

    /// Whether this is `NEVER`.
    pub fn is_never(self) -> bool {
        self == Notify::NEVER
    }
}

/// The mode of the `BY=` parameter (RFC 2852).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByMode {
    /// `R`: return the message if it cannot be delivered in time.
    Return,
    /// `N`: notify if it cannot be delivered in time.
    Notify,
}

/// One `MAIL FROM`/`RCPT TO` parameter. Keywords are matched case-insensitively;
/// unknown ones are kept raw in [`Parameter::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Parameter<'a> {
    /// `SIZE=n` (RFC 1870).
    Size(u64),
    /// `BODY=` (RFC 6152, RFC 3030).
    Body(BodyType),
    /// `SMTPUTF8` (RFC 6531).
    SmtpUtf8,
    /// `RET=` (RFC 3461).
    Ret(Ret),
    /// `ENVID=` (RFC 3461), xtext-decoded.
    EnvId(Cow<'a, str>),
    /// `NOTIFY=` (RFC 3461).
    Notify(Notify),
    /// `ORCPT=addr-type;addr` (RFC 3461), the address xtext-decoded.
    Orcpt {
        /// The address type, usually `rfc822` or `utf-8`.
        addr_type: Cow<'a, str>,
        /// The original recipient address.
        addr: Cow<'a, str>,
    },
    /// `AUTH=` (RFC 4954): `None` for `AUTH=<>`, the xtext-decoded mailbox otherwise.
    Auth(Option<Cow<'a, str>>),
    /// `REQUIRETLS` (RFC 8689).
    RequireTls,
    /// `MT-PRIORITY=n` (RFC 6710), -9 to 9.
    MtPriority(i8),
    /// `BY=time;mode[T]` (RFC 2852).
    By {
        /// Seconds (may be negative for `N` mode).
        time: i64,
        /// Return or notify.
        mode: ByMode,
        /// The `T` (trace) modifier.
        trace: bool,
    },
    /// `HOLDFOR=seconds` (RFC 4865).
    HoldFor(u64),
    /// `HOLDUNTIL=date-time` (RFC 4865), kept as text.
    HoldUntil(Cow<'a, str>),
    /// Any other parameter, kept as received.
    Other {
        /// The keyword as received.
        keyword: Cow<'a, str>,
        /// The value, if any.
        value: Option<Cow<'a, str>>,
    },
}

impl Parameter<'_> {
    /// Converts to an owned, `'static` value.
    pub fn into_owned(self) -> Parameter<'static> {
        fn o(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        match self {
            Parameter::Size(n) => Parameter::Size(n),
            Parameter::Body(b) => Parameter::Body(b),
            Parameter::SmtpUtf8 => Parameter::SmtpUtf8,
            Parameter::Ret(r) => Parameter::Ret(r),
            Parameter::EnvId(e) => Parameter::EnvId(o(e)),
            Parameter::Notify(n) => Parameter::Notify(n),
            Parameter::Orcpt { addr_type, addr } => Parameter::Orcpt {
                addr_type: o(addr_type),
                addr: o(addr),
            },
            Parameter::Auth(a) => Parameter::Auth(a.map(o)),
            Parameter::RequireTls => Parameter::RequireTls,
            Parameter::MtPriority(p) => Parameter::MtPriority(p),
            Parameter::By { time, mode, trace } => Parameter::By { time, mode, trace },
            Parameter::HoldFor(s) => Parameter::HoldFor(s),
            Parameter::HoldUntil(s) => Parameter::HoldUntil(o(s)),
            Parameter::Other { keyword, value } => Parameter::Other {
                keyword: o(keyword),
                value: value.map(o),
            },
        }
    }

    /// The keyword, upper case for known parameters.
    pub fn keyword(&self) -> &str {
        match self {
            Parameter::Size(_) => "SIZE",
            Parameter::Body(_) => "BODY",
            Parameter::SmtpUtf8 => "SMTPUTF8",
            Parameter::Ret(_) => "RET",
            Parameter::EnvId(_) => "ENVID",
            Parameter::Notify(_) => "NOTIFY",
            Parameter::Orcpt { .. } => "ORCPT",
            Parameter::Auth(_) => "AUTH",
            Parameter::RequireTls => "REQUIRETLS",
            Parameter::MtPriority(_) => "MT-PRIORITY",
            Parameter::By { .. } => "BY",
            Parameter::HoldFor(_) => "HOLDFOR",
            Parameter::HoldUntil(_) => "HOLDUNTIL",
            Parameter::Other { keyword, .. } => keyword,
        }
    }
}

impl fmt::Display for Parameter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Parameter::Size(n) => write!(f, "SIZE={n}"),
            Parameter::Body(b) => write!(f, "BODY={}", b.as_str()),
            Parameter::SmtpUtf8 => f.write_str("SMTPUTF8"),
            Parameter::Ret(Ret::Full) => f.write_str("RET=FULL"),
            Parameter::Ret(Ret::Hdrs) => f.write_str("RET=HDRS"),
            Parameter::EnvId(e) => write!(f, "ENVID={}", XText(e)),
            Parameter::Notify(n) => {
                f.write_str("NOTIFY=")?;
                if n.is_never() {
                    return f.write_str("NEVER");
                }
                let mut first = true;
                for (on, name) in [
                    (n.success, "SUCCESS"),
                    (n.failure, "FAILURE"),
                    (n.delay, "DELAY"),
                ] {
                    if on {
                        if !first {
                            f.write_str(",")?;
                        }
                        f.write_str(name)?;
                        first = false;
                    }
                }
                Ok(())
            }
            Parameter::Orcpt { addr_type, addr } => write!(f, "ORCPT={addr_type};{}", XText(addr)),
            Parameter::Auth(None) => f.write_str("AUTH=<>"),
            Parameter::Auth(Some(m)) => write!(f, "AUTH={}", XText(m)),
            Parameter::RequireTls => f.write_str("REQUIRETLS"),
            Parameter::MtPriority(p) => write!(f, "MT-PRIORITY={p}"),
            Parameter::By { time, mode, trace } => {
                let m = match mode {
                    ByMode::Return => "R",
                    ByMode::Notify => "N",
                };
                write!(f, "BY={time};{m}{}", if *trace { "T" } else { "" })
            }
            Parameter::HoldFor(s) => write!(f, "HOLDFOR={s}"),
            Parameter::HoldUntil(s) => write!(f, "HOLDUNTIL={s}"),
            Parameter::Other {
                keyword,
                value: None,
            } => f.write_str(keyword),
            Parameter::Other {
                keyword,
                value: Some(v),
            } => write!(f, "{keyword}={v}"),
        }
    }
}

/// Why a parameter was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamErrorKind {
    /// The keyword is not `(ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`.
    #[error("invalid parameter keyword")]
    Keyword,
    /// The value has characters outside `esmtp-value`.
    #[error("invalid parameter value")]
    Value,
    /// A number does not fit (e.g. `SIZE=99999999999999999999`).
    #[error("number out of range")]
    Overflow,
    /// A parameter that needs a value has none, or one that takes none has one.
    #[error("missing or unexpected parameter value")]
    MissingValue,
    /// Malformed xtext (`+` not followed by two upper-case hex digits).
    #[error("invalid xtext")]
    XText,
}

/// Parses a decimal number of at most `max_digits` digits into `u64`.
pub(crate) fn parse_u64(s: &str) -> Result<u64, ParamErrorKind> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParamErrorKind::Value);
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(ParamErrorKind::Overflow)?;
    }
    Ok(n)
}

fn parse_i64(s: &str) -> Result<i64, ParamErrorKind> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or_default()),
        Some(b'+') => (false, s.get(1..).unwrap_or_default()),
        _ => (false, s),
    };
    let n = parse_u64(digits)?;
    let n = i64::try_from(n).map_err(|_| ParamErrorKind::Overflow)?;
    Ok(if neg { -n } else { n })
}

/// Decodes RFC 3461 xtext (`+XX` hex escapes) with `correo_wire::xtext`; the result must
/// be UTF-8.
#[allow(clippy::needless_bitwise_bool)] // branch-free on purpose
pub(crate) fn xtext_decode(s: &str) -> Result<Cow<'_, str>, ParamErrorKind> {
    // Fast path: printable ASCII without `+`, `=` or space is xtext that decodes to
    // itself (one branch-free pass the compiler vectorises).
    let plain = s.bytes().fold(true, |acc, b| {
        acc & (b > b' ') & (b < 0x7f) & (b != b'+') & (b != b'=')
    });
    if plain {
        return Ok(Cow::Borrowed(s));
    }
    match correo_wire::xtext::decode(s.as_bytes()).map_err(|_| ParamErrorKind::XText)? {
        Cow::Borrowed(_) => Ok(Cow::Borrowed(s)),
        Cow::Owned(v) => String::from_utf8(v)
            .map(Cow::Owned)
            .map_err(|_| ParamErrorKind::XText),
    }
}

/// Displays text as RFC 3461 xtext.
pub(crate) struct XText<'s>(pub &'s str);

impl fmt::Display for XText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&correo_wire::xtext::encode(self.0.as_bytes()))
    }
}

/// `esmtp-keyword` (`(ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`): the check of
/// [`keyword_key`].
#[inline]
fn is_keyword(s: &str) -> bool {
    keyword_key(s).is_some()
}

#[inline]
#[allow(clippy::needless_bitwise_bool)] // branch-free on purpose
fn is_value(s: &str) -> bool {
    // Bytes of non-ASCII characters are all >= 0x80 (the text is UTF-8 already).
    // `!`..=`~` except `=`, or >= 0x80: one branch-free pass.
    !s.is_empty()
        && s.bytes().fold(true, |acc, b| {
            acc & ((b >= b'!') & (b != b'=') & (b != 0x7f))
        })
}

/// A keyword packed into one integer, upper-cased: the parameter names this crate knows
/// are compared with one integer comparison each instead of a byte loop each.
const fn pack_keyword(k: &[u8]) -> u128 {
    let mut key = 0u128;
    let mut i = 0;
    while i < k.len() {
        key = (key << 8) | k[i].to_ascii_uppercase() as u128;
        i += 1;
    }
    key
}

/// Checks `esmtp-keyword` (`(ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`) and packs it in the
/// same pass: `None` if it is not a keyword; `Some(0)` (matches no known name) when it is
/// longer than 16 bytes.
#[inline]
#[allow(clippy::needless_bitwise_bool)] // branch-free on purpose
fn keyword_key(kw: &str) -> Option<u128> {
    let bytes = kw.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    let mut ok = true;
    let mut key = 0u128;
    for &b in bytes {
        ok &= b.is_ascii_alphanumeric() | (b == b'-');
        key = (key << 8) | u128::from(b.to_ascii_uppercase());
    }
    ok.then_some(if bytes.len() > 16 { 0 } else { key })
}

/// Parses one `keyword[=value]` parameter.
#[inline]
pub(crate) fn parse_parameter(s: &str) -> Result<Parameter<'_>, ParamErrorKind> {
    let (kw, value) = match split_byte(s, b'=') {
        Some((k, v)) => (k, Some(v)),
        None => (s, None),
    };
    let Some(key) = keyword_key(kw) else {
        return Err(ParamErrorKind::Keyword);
    };
    if let Some(v) = value
        && !is_value(v)
    {
        return Err(ParamErrorKind::Value);
    }
    let upper = |k: &str| key == pack_keyword(k.as_bytes());
    let need = || value.ok_or(ParamErrorKind::MissingValue);
    let none = |p: Parameter<'static>| {
        if value.is_some() {
            Err(ParamErrorKind::MissingValue)
        } else {
            Ok(p)
        }
    };
    if upper("SIZE") {
        return parse_u64(need()?).map(Parameter::Size);
    }
    if upper("BODY") {
        let v = need()?;
        return Ok(Parameter::Body(if v.eq_ignore_ascii_case("7BIT") {
            BodyType::SevenBit
        } else if v.eq_ignore_ascii_case("8BITMIME") {
            BodyType::EightBitMime
        } else if v.eq_ignore_ascii_case("BINARYMIME") {
            BodyType::BinaryMime
        } else {
            return Err(ParamErrorKind::Value);
        }));
    }
    if upper("SMTPUTF8") {
        return none(Parameter::SmtpUtf8);
    }
    if upper("REQUIRETLS") {
        return none(Parameter::RequireTls);
    }
    if upper("RET") {
        let v = need()?;
        return if v.eq_ignore_ascii_case("FULL") {
            Ok(Parameter::Ret(Ret::Full))
        } else if v.eq_ignore_ascii_case("HDRS") {
            Ok(Parameter::Ret(Ret::Hdrs))
        } else {
            Err(ParamErrorKind::Value)
        };
    }
    if upper("ENVID") {
        return xtext_decode(need()?).map(Parameter::EnvId);
    }
    if upper("NOTIFY") {
        let v = need()?;
        if v.eq_ignore_ascii_case("NEVER") {
            return Ok(Parameter::Notify(Notify::NEVER));
        }
        let mut n = Notify::default();
        for item in v.as_bytes().split(|&b| b == b',') {
            let slot = if item.eq_ignore_ascii_case(b"SUCCESS") {
                &mut n.success
            } else if item.eq_ignore_ascii_case(b"FAILURE") {
                &mut n.failure
            } else if item.eq_ignore_ascii_case(b"DELAY") {
                &mut n.delay
            } else {
                return Err(ParamErrorKind::Value);
            };
            if *slot {
                return Err(ParamErrorKind::Value);
            }
            *slot = true;
        }
        return Ok(Parameter::Notify(n));
    }
    if upper("ORCPT") {
        let (t, a) = split_byte(need()?, b';').ok_or(ParamErrorKind::Value)?;
        if !is_keyword(t) {
            return Err(ParamErrorKind::Value);
        }
        return Ok(Parameter::Orcpt {
            addr_type: Cow::Borrowed(t),
            addr: xtext_decode(a)?,
        });
    }
    if upper("AUTH") {
        let v = need()?;
        return if v == "<>" {
            Ok(Parameter::Auth(None))
        } else {
            xtext_decode(v).map(|m| Parameter::Auth(Some(m)))
        };
    }
    if upper("MT-PRIORITY") {
        let p = parse_i64(need()?)?;
        return if (-9..=9).contains(&p) {
            Ok(Parameter::MtPriority(p as i8))
        } else {
            Err(ParamErrorKind::Overflow)
        };
    }
    if upper("BY") {
        let (t, m) = split_byte(need()?, b';').ok_or(ParamErrorKind::Value)?;
        let time = parse_i64(t)?;
        if !(-999_999_999..=999_999_999).contains(&time) {
            return Err(ParamErrorKind::Overflow);
        }
        let mut chars = m.chars();
        let mode = match chars.next() {
            Some('R' | 'r') => ByMode::Return,
            Some('N' | 'n') => ByMode::Notify,
            _ => return Err(ParamErrorKind::Value),
        };
        let trace = match (chars.next(), chars.next()) {
            (None, _) => false,
            (Some('T' | 't'), None) => true,
            _ => return Err(ParamErrorKind::Value),
        };
        return Ok(Parameter::By { time, mode, trace });
    }
    if upper("HOLDFOR") {
        return parse_u64(need()?).map(Parameter::HoldFor);
    }
    if upper("HOLDUNTIL") {
        return Ok(Parameter::HoldUntil(Cow::Borrowed(need()?)));
    }
    Ok(Parameter::Other {
        keyword: Cow::Borrowed(kw),
        value: value.map(Cow::Borrowed),
    })
}

/// Reads an RFC 3339 `date-time` (the value of `HOLDUNTIL=` and of the `FUTURERELEASE`
/// limit, RFC 4865): `2026-11-26T12:00:00Z`, `2026-11-26t13:00:00.5+01:00`. Returns the
/// seconds since 1970-01-01T00:00:00Z (fractions dropped), or `None` if the text is not a
/// valid date-time. Pure arithmetic: no clock is read.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = bytes.get(from..from + len)?;
        digits.iter().try_fold(0i64, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let at = |pos: usize, c: u8| bytes.get(pos).is_some_and(|x| x.eq_ignore_ascii_case(&c));
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return None;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    // A leap second (60) is allowed by RFC 3339 and counted as the next second.
    if day < 1 || day > days_in_month || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut pos = 19;
    if at(pos, b'.') {
        pos += 1;
        let start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        if pos == start {
            return None;
        }
    }
    let offset = if at(pos, b'Z') {
        pos += 1;
        0
    } else {
        let sign = match bytes.get(pos) {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return None,
        };
        let (oh, om) = (num(pos + 1, 2)?, num(pos + 4, 2)?);
        if !at(pos + 3, b':') || oh > 23 || om > 59 {
            return None;
        }
        pos += 6;
        sign * (oh * 3600 + om * 60)
    };
    if pos != bytes.len() {
        return None;
    }
    // Days from 1970-01-01 to the date (proleptic Gregorian calendar).
    let (shifted_year, shifted_month) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = shifted_year.div_euclid(400);
    let yoe = shifted_year - era * 400;
    let doy = (153 * shifted_month + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Parses the mailbox of an `AUTH=` parameter, if it is one.
pub fn auth_mailbox<'p>(param: &'p Parameter<'_>) -> Option<Mailbox<'p>> {
    match param {
        Parameter::Auth(Some(m)) => parse_mailbox(m, 0).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed() {
        assert_eq!(parse_parameter("size=100"), Ok(Parameter::Size(100)));
        assert_eq!(
            parse_parameter("SIZE=99999999999999999999"),
            Err(ParamErrorKind::Overflow)
        );
        assert_eq!(
            parse_parameter("BODY=8bitmime"),
            Ok(Parameter::Body(BodyType::EightBitMime))
        );
        assert_eq!(parse_parameter("BODY=9BIT"), Err(ParamErrorKind::Value));
        assert_eq!(
            parse_parameter("SMTPUTF8=1"),
            Err(ParamErrorKind::MissingValue)
        );
        assert_eq!(
            parse_parameter("ENVID=QQ314159+2Bx"),
            Ok(Parameter::EnvId("QQ314159+x".into()))
        );
        assert_eq!(parse_parameter("ENVID=a+2"), Err(ParamErrorKind::XText));
        assert_eq!(
            parse_parameter("NOTIFY=SUCCESS,FAILURE"),
            Ok(Parameter::Notify(Notify {
                success: true,
                failure: true,
                delay: false
            }))
        );
        assert_eq!(
            parse_parameter("NOTIFY=SUCCESS,SUCCESS"),
            Err(ParamErrorKind::Value)
        );
        assert_eq!(
            parse_parameter("ORCPT=rfc822;Bob+40Example.COM"),
            Ok(Parameter::Orcpt {
                addr_type: "rfc822".into(),
                addr: "Bob@Example.COM".into()
            })
        );
        assert_eq!(parse_parameter("AUTH=<>"), Ok(Parameter::Auth(None)));
        assert_eq!(
            parse_parameter("MT-PRIORITY=-3"),
            Ok(Parameter::MtPriority(-3))
        );
        assert_eq!(
            parse_parameter("MT-PRIORITY=10"),
            Err(ParamErrorKind::Overflow)
        );
        assert_eq!(
            parse_parameter("BY=-120;NT"),
            Ok(Parameter::By {
                time: -120,
                mode: ByMode::Notify,
                trace: true
            })
        );
        assert_eq!(parse_parameter("BY=1;X"), Err(ParamErrorKind::Value));
        assert_eq!(
            parse_parameter("HOLDFOR=99999999999999999999"),
            Err(ParamErrorKind::Overflow)
        );
        assert_eq!(
            parse_parameter("FOO=BAR"),
            Ok(Parameter::Other {
                keyword: "FOO".into(),
                value: Some("BAR".into())
            })
        );
        assert_eq!(parse_parameter("-X"), Err(ParamErrorKind::Keyword));
        assert_eq!(parse_parameter("X=a=b"), Err(ParamErrorKind::Value));
    }

    #[test]
    fn datetimes() {
        assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_datetime("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(
            parse_datetime("2026-11-26t12:00:00.25z"),
            Some(1_795_694_400)
        );
        assert_eq!(
            parse_datetime("2026-11-26T13:00:00+01:00"),
            parse_datetime("2026-11-26T12:00:00Z")
        );
        assert_eq!(
            parse_datetime("2024-02-29T00:00:00-00:30"),
            Some(1_709_166_600)
        );
        for bad in [
            "",
            "2026-11-26",
            "2026-11-26T12:00:00",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T12:00:00.Z",
            "2026-11-26T12:00:00Zx",
            "2026-11-26T12:00:00+0100",
            "+026-11-26T12:00:00Z",
            "2026-11-26T12:00:00+01:60",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn xtext_round_trip() {
        let s = "a+b=c d\u{e9}";
        let enc = XText(s).to_string();
        assert_eq!(enc, "a+2Bb+3Dc+20d+C3+A9");
        assert_eq!(xtext_decode(&enc).unwrap(), s);
    }

    /// The general decoder, without the fast path of `xtext_decode`.
    fn reference_xtext_decode(s: &str) -> Result<Cow<'_, str>, ParamErrorKind> {
        match correo_wire::xtext::decode(s.as_bytes()).map_err(|_| ParamErrorKind::XText)? {
            Cow::Borrowed(_) => Ok(Cow::Borrowed(s)),
            Cow::Owned(v) => String::from_utf8(v)
                .map(Cow::Owned)
                .map_err(|_| ParamErrorKind::XText),
        }
    }

    #[test]
    fn xtext_fast_path_matches_the_general_decoder() {
        // Every string of up to two ASCII bytes, and a few longer ones.
        let mut cases: Vec<String> = vec![String::new(), "a+2B".into(), "+".into(), "é".into()];
        for a in 0u8..128 {
            cases.push(char::from(a).to_string());
            for b in 0u8..128 {
                cases.push([char::from(a), char::from(b)].iter().collect());
            }
        }
        for s in &cases {
            let fast = xtext_decode(s);
            assert_eq!(fast, reference_xtext_decode(s), "{s:?}");
            if let Ok(v) = fast {
                assert!(matches!(v, Cow::Borrowed(_)) == !s.contains('+'), "{s:?}");
            }
        }
    }

    #[test]
    fn keyword_and_value_checks_match_the_reference() {
        for a in 0u8..=255 {
            for b in [b'a', b'-', b'=', b' ', 0x7f, 0x80, b'!', b'~'] {
                let Ok(s) = std::str::from_utf8(&[a, b]).map(str::to_owned) else {
                    continue;
                };
                let kw = s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
                    && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
                let val = s
                    .bytes()
                    .all(|c| matches!(c, b'!'..=b'<' | b'>'..=b'~' | 0x80..));
                assert_eq!(is_keyword(&s), kw, "{s:?}");
                assert_eq!(is_value(&s), val, "{s:?}");
            }
        }
        assert!(!is_value(""));
        assert!(!is_keyword(""));
    }
}
