//! A SEARCH evaluator: whether a message matches SEARCH keys (RFC 3501 6.4.4).
//!
//! String keys match case-insensitively as substrings of the decoded header text
//! (RFC 2047 words decoded) or the decoded body text (transfer encoding and charset
//! decoded). Dates compare by day: `BEFORE`/`ON`/`SINCE` on the internal date,
//! `SENT*` on the `Date:` field (its own day, ignoring the zone, as RFC 3501 says).
//!
//! ```
//! use correo_imap::mime::search::{SearchInput, matches};
//! use correo_imap::types::{Flag, SearchKey};
//! use correo_mime::message::Message;
//! use std::borrow::Cow;
//!
//! let raw = b"Subject: Una prueba\r\nFrom: ana@example.org\r\n\r\nHola\r\n";
//! let msg = Message::parse(raw);
//! let input = SearchInput {
//!     seq: 1, uid: 10, max_seq: 1, max_uid: 10,
//!     flags: &[Flag::Seen], recent: false,
//!     internal_date: "22-Nov-2026 23:20:45 +0000", size: raw.len() as u64,
//!     message: Some(&msg), modseq: 4,
//! };
//! assert!(matches(&SearchKey::Subject(Cow::Borrowed(b"PRUEBA")), &input));
//! assert!(!matches(&SearchKey::Unseen, &input));
//! ```

use correo_mime::message::Message;

use crate::types::{Flag, SearchKey};

/// What a message is matched with.
#[derive(Debug, Clone, Copy)]
pub struct SearchInput<'a, 'm> {
    /// Sequence number.
    pub seq: u32,
    /// UID.
    pub uid: u32,
    /// The largest sequence number (what `*` means).
    pub max_seq: u32,
    /// The largest UID.
    pub max_uid: u32,
    /// Flags.
    pub flags: &'a [Flag<'a>],
    /// `\Recent` (IMAP4rev1).
    pub recent: bool,
    /// Internal date as IMAP writes it (`22-Nov-2026 23:20:45 +0000`).
    pub internal_date: &'a str,
    /// RFC822.SIZE.
    pub size: u64,
    /// The parsed message (`None`: only flags, sizes, dates and numbers can match).
    pub message: Option<&'a Message<'m>>,
    /// The message's mod-sequence (CONDSTORE; `SEARCH MODSEQ n` matches when it is at
    /// least `n`). 0 when unknown.
    pub modseq: u64,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parses an IMAP date (`1-Feb-1994`, quotes allowed) into (year, month, day).
pub fn parse_date(s: &[u8]) -> Option<(u16, u8, u8)> {
    let s = std::str::from_utf8(s).ok()?.trim().trim_matches('"');
    let mut it = s.splitn(3, '-');
    let d: u8 = it.next()?.trim().parse().ok()?;
    let m = it.next()?;
    let y = it.next()?;
    let y: u16 = y.get(..4).unwrap_or(y).parse().ok()?;
    let m = MONTHS
        .iter()
        .position(|x| x.eq_ignore_ascii_case(m))
        .and_then(|i| u8::try_from(i + 1).ok())?;
    Some((y, m, d))
}

fn contains_ci(hay: &str, needle: &[u8]) -> bool {
    let needle = String::from_utf8_lossy(needle).to_lowercase();
    if needle.is_empty() {
        return true;
    }
    hay.to_lowercase().contains(&needle)
}

fn header_match(m: Option<&Message<'_>>, name: &str, needle: &[u8]) -> bool {
    let Some(m) = m else { return false };
    m.header()
        .get_all(name)
        .any(|f| contains_ci(&f.text(), needle))
}

fn body_match(m: Option<&Message<'_>>, needle: &[u8]) -> bool {
    let Some(m) = m else { return false };
    m.walk()
        .filter(|p| p.children().is_empty())
        .any(|p| contains_ci(&p.text(), needle))
}

fn sent_date(m: Option<&Message<'_>>) -> Option<(u16, u8, u8)> {
    let d = m?.header().date()?.ok()?;
    Some((d.year, d.month, d.day))
}

/// Whether the message matches `key`.
pub fn matches(key: &SearchKey<'_>, i: &SearchInput<'_, '_>) -> bool {
    use SearchKey as K;
    let has = |f: &Flag<'_>| i.flags.contains(f);
    let idate = || parse_date(i.internal_date.as_bytes());
    let cmp = |d: Option<(u16, u8, u8)>, k: &[u8], f: fn(std::cmp::Ordering) -> bool| match (
        d,
        parse_date(k),
    ) {
        (Some(a), Some(b)) => f(a.cmp(&b)),
        _ => false,
    };
    let m = i.message;
    match key {
        K::All => true,
        K::Answered => has(&Flag::Answered),
        K::Deleted => has(&Flag::Deleted),
        K::Draft => has(&Flag::Draft),
        K::Flagged => has(&Flag::Flagged),
        K::Seen => has(&Flag::Seen),
        K::Recent => i.recent,
        K::New => i.recent && !has(&Flag::Seen),
        K::Old => !i.recent,
        K::Unanswered => !has(&Flag::Answered),
        K::Undeleted => !has(&Flag::Deleted),
        K::Undraft => !has(&Flag::Draft),
        K::Unflagged => !has(&Flag::Flagged),
        K::Unseen => !has(&Flag::Seen),
        K::Keyword(k) => i.flags.iter().any(|f| f.to_wire().eq_ignore_ascii_case(k)),
        K::Unkeyword(k) => !i.flags.iter().any(|f| f.to_wire().eq_ignore_ascii_case(k)),
        K::Larger(n) => i.size > *n,
        K::Smaller(n) => i.size < *n,
        K::Before(d) => cmp(idate(), d, std::cmp::Ordering::is_lt),
        K::On(d) => cmp(idate(), d, std::cmp::Ordering::is_eq),
        K::Since(d) => cmp(idate(), d, std::cmp::Ordering::is_ge),
        K::SentBefore(d) => cmp(sent_date(m), d, std::cmp::Ordering::is_lt),
        K::SentOn(d) => cmp(sent_date(m), d, std::cmp::Ordering::is_eq),
        K::SentSince(d) => cmp(sent_date(m), d, std::cmp::Ordering::is_ge),
        K::From(s) => header_match(m, "From", s),
        K::To(s) => header_match(m, "To", s),
        K::Cc(s) => header_match(m, "Cc", s),
        K::Bcc(s) => header_match(m, "Bcc", s),
        K::Subject(s) => header_match(m, "Subject", s),
        K::Header(name, s) => {
            let name = String::from_utf8_lossy(name);
            header_match(m, &name, s)
        }
        K::Body(s) => body_match(m, s),
        K::Text(s) => {
            body_match(m, s)
                || m.is_some_and(|m| {
                    m.header()
                        .fields
                        .iter()
                        .any(|f| contains_ci(&f.text(), s) || contains_ci(&f.name_str(), s))
                })
        }
        K::Uid(set) => set.contains(i.uid, i.max_uid),
        K::SequenceSet(set) => set.contains(i.seq, i.max_seq),
        K::Not(k) => !matches(k, i),
        K::Or(a, b) => matches(a, i) || matches(b, i),
        K::And(v) => v.iter().all(|k| matches(k, i)),
        K::ModSeq(n) => i.modseq >= *n,
        _ => false,
    }
}

/// Whether the message matches all `keys` (a SEARCH command's implicit AND).
pub fn matches_all(keys: &[SearchKey<'_>], i: &SearchInput<'_, '_>) -> bool {
    keys.iter().all(|k| matches(k, i))
}
