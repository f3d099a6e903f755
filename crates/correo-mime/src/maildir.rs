//! Maildir file names and flags as pure functions (no file I/O).
//!
//! A Maildir message file is named `<unique>[:2,<flags>]`, where the unique part is
//! conventionally `<secs>.M<usec>P<pid>Q<counter>.<host>` optionally followed by
//! `,S=<size>` (the file size) and `,W=<size>` (the size with CRLF line endings, as IMAP
//! reports it). Files in `new/` carry no info suffix; when a client has seen a message it
//! moves it to `cur/` and appends `:2,` and the flags, in ASCII order, each at most once:
//! `D` draft, `F` flagged, `P` passed (forwarded), `R` replied, `S` seen, `T` trashed;
//! lower-case letters `a`..`z` are keywords (Dovecot). Some systems use `!` instead of `:`
//! (it is not allowed in Windows file names); it is accepted when parsing.
//!
//! ```
//! use correo_mime::maildir::{Flags, MaildirName, UniqueName};
//!
//! let name = UniqueName { secs: 1_732_391_318, usec: 123_456, pid: 4242, counter: 1, host: "mail.example" }
//!     .build(Some(1200), Some(1230));
//! assert_eq!(name, "1732391318.M123456P4242Q1.mail.example,S=1200,W=1230");
//! let cur = correo_mime::maildir::with_flags(&name, Flags::SEEN | Flags::REPLIED);
//! assert_eq!(cur, "1732391318.M123456P4242Q1.mail.example,S=1200,W=1230:2,RS");
//! let parsed = MaildirName::parse(&cur).unwrap();
//! assert_eq!(parsed.size, Some(1200));
//! assert!(parsed.flags().contains(Flags::SEEN));
//! ```

use std::fmt::Write as _;

/// Maildir flags (the standard six) plus Dovecot keyword letters `a`..`z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u32);

impl Flags {
    /// No flags.
    pub const EMPTY: Flags = Flags(0);
    /// `D`: draft.
    pub const DRAFT: Flags = Flags(1 << 0);
    /// `F`: flagged.
    pub const FLAGGED: Flags = Flags(1 << 1);
    /// `P`: passed (resent, forwarded, bounced).
    pub const PASSED: Flags = Flags(1 << 2);
    /// `R`: replied.
    pub const REPLIED: Flags = Flags(1 << 3);
    /// `S`: seen.
    pub const SEEN: Flags = Flags(1 << 4);
    /// `T`: trashed (to be expunged).
    pub const TRASHED: Flags = Flags(1 << 5);

    const LETTERS: [(u8, Flags); 6] = [
        (b'D', Flags::DRAFT),
        (b'F', Flags::FLAGGED),
        (b'P', Flags::PASSED),
        (b'R', Flags::REPLIED),
        (b'S', Flags::SEEN),
        (b'T', Flags::TRASHED),
    ];

    /// The flag for a letter (`D F P R S T`, or a keyword `a`..`z`).
    pub fn from_letter(c: u8) -> Option<Flags> {
        if c.is_ascii_lowercase() {
            return Some(Flags(1 << (6 + u32::from(c - b'a'))));
        }
        Self::LETTERS.iter().find(|(l, _)| *l == c).map(|&(_, f)| f)
    }

    /// Keyword letter `c` (`a`..`z`).
    pub fn keyword(c: char) -> Option<Flags> {
        u8::try_from(c)
            .ok()
            .filter(u8::is_ascii_lowercase)
            .and_then(Flags::from_letter)
    }

    /// Whether every flag in `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `self` with the flags of `other` removed.
    pub fn without(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }

    /// Parses the flags after `:2,`. Unknown characters are ignored; duplicates and
    /// disorder are accepted (see [`FlagsReport`]).
    pub fn parse(s: &str) -> (Flags, FlagsReport) {
        let mut f = Flags::EMPTY;
        let mut report = FlagsReport::default();
        let mut prev = 0u8;
        for c in s.bytes() {
            match Flags::from_letter(c) {
                Some(x) => {
                    if f.contains(x) {
                        report.duplicates = true;
                    }
                    f |= x;
                }
                None => report.unknown = true,
            }
            if c < prev {
                report.unsorted = true;
            }
            prev = c;
        }
        (f, report)
    }
}

/// What was irregular about a flags string (the flags are still read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlagsReport {
    /// Letters were not in ASCII order.
    pub unsorted: bool,
    /// A letter appeared more than once.
    pub duplicates: bool,
    /// A character that is not a flag or keyword letter appeared.
    pub unknown: bool,
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

impl std::fmt::Display for Flags {
    /// The flags as written after `:2,`: ASCII order, each once (`DFPRST` then keywords).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (l, x) in Flags::LETTERS {
            if self.contains(x) {
                f.write_char(char::from(l))?;
            }
        }
        for c in b'a'..=b'z' {
            if Flags::from_letter(c).is_some_and(|x| self.contains(x)) {
                f.write_char(char::from(c))?;
            }
        }
        Ok(())
    }
}

/// Why a Maildir file name could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MaildirError {
    /// The name is empty, starts with a dot, or contains `/` or a NUL.
    #[error("not a Maildir file name: {0:?}")]
    InvalidName(String),
}

/// The info suffix of a name in `cur/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Info<'a> {
    /// `:2,<flags>`.
    Flags {
        /// The flags.
        flags: Flags,
        /// Irregularities in the flags string.
        report: FlagsReport,
        /// The flags text as written.
        raw: &'a str,
    },
    /// `:1,...` (experimental semantics) or any other version: kept as written.
    Other(&'a str),
}

/// A parsed Maildir file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirName<'a> {
    /// The unique part: everything before the info separator, with its `,S=`/`,W=` fields.
    pub unique: &'a str,
    /// The leading seconds, if the name starts with digits and a dot.
    pub secs: Option<u64>,
    /// `M<usec>` from the delivery identifier.
    pub usec: Option<u32>,
    /// `P<pid>` from the delivery identifier.
    pub pid: Option<u32>,
    /// `Q<counter>` from the delivery identifier.
    pub counter: Option<u64>,
    /// The host part (after the second dot, before any `,`), with `\057` and `\072`
    /// undone to `/` and `:`.
    pub host: Option<String>,
    /// `,S=<size>`: the file size in bytes.
    pub size: Option<u64>,
    /// `,W=<size>`: the size with CRLF line endings (RFC 822 size).
    pub vsize: Option<u64>,
    /// The info suffix (`:2,...`), absent for names in `new/`.
    pub info: Option<Info<'a>>,
}

impl<'a> MaildirName<'a> {
    /// Parses a file name (not a path). Only names that could not be a Maildir file at all
    /// are refused; the fields that cannot be read are `None`.
    pub fn parse(name: &'a str) -> Result<MaildirName<'a>, MaildirError> {
        if name.is_empty() || name.starts_with('.') || name.contains(['/', '\0']) {
            return Err(MaildirError::InvalidName(name.chars().take(200).collect()));
        }
        let (unique, info) = match name.rfind([':', '!']) {
            Some(i)
                if name
                    .get(i + 1..)
                    .is_some_and(|r| r.starts_with("2,") || r.starts_with("1,")) =>
            {
                let rest = name.get(i + 1..).unwrap_or_default();
                let info = if let Some(raw) = rest.strip_prefix("2,") {
                    let (flags, report) = Flags::parse(raw);
                    Info::Flags { flags, report, raw }
                } else {
                    Info::Other(rest)
                };
                (name.get(..i).unwrap_or_default(), Some(info))
            }
            _ => (name, None),
        };
        let mut out = MaildirName {
            unique,
            secs: None,
            usec: None,
            pid: None,
            counter: None,
            host: None,
            size: None,
            vsize: None,
            info,
        };
        let mut fields = unique.split(',');
        let base = fields.next().unwrap_or_default();
        for f in fields {
            if let Some(v) = f.strip_prefix("S=") {
                out.size = v.parse().ok();
            } else if let Some(v) = f.strip_prefix("W=") {
                out.vsize = v.parse().ok();
            }
        }
        let mut parts = base.splitn(3, '.');
        let secs = parts.next().unwrap_or_default();
        out.secs = secs.parse().ok();
        if let Some(id) = parts.next() {
            parse_delivery_id(id, &mut out);
        }
        if let Some(host) = parts.next() {
            out.host = Some(host.replace("\\057", "/").replace("\\072", ":"));
        }
        Ok(out)
    }

    /// The flags (empty for names without `:2,` info).
    pub fn flags(&self) -> Flags {
        match &self.info {
            Some(Info::Flags { flags, .. }) => *flags,
            _ => Flags::EMPTY,
        }
    }

    /// Where a file with this name belongs: `cur/` when it has an info suffix, else `new/`.
    pub fn subdir(&self) -> Subdir {
        if self.info.is_some() {
            Subdir::Cur
        } else {
            Subdir::New
        }
    }
}

fn parse_delivery_id(id: &str, out: &mut MaildirName<'_>) {
    // Sequences of <letter><digits>: M usec, P pid, Q counter (others ignored).
    let b = id.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let letter = b.get(i).copied().unwrap_or_default();
        let start = i + 1;
        let mut j = start;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        let digits = id.get(start..j).unwrap_or_default();
        match letter {
            b'M' => out.usec = digits.parse().ok(),
            b'P' => out.pid = digits.parse().ok(),
            b'Q' => out.counter = digits.parse().ok(),
            _ => {}
        }
        i = j.max(i + 1);
    }
}

/// The three Maildir subdirectories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subdir {
    /// `tmp/`: being written; a delivery renames it into `new/` when complete.
    Tmp,
    /// `new/`: delivered, not yet seen by a client; names carry no info suffix.
    New,
    /// `cur/`: seen by a client; names carry `:2,<flags>`.
    Cur,
}

impl Subdir {
    /// The directory name (`tmp`, `new`, `cur`).
    pub fn as_str(self) -> &'static str {
        match self {
            Subdir::Tmp => "tmp",
            Subdir::New => "new",
            Subdir::Cur => "cur",
        }
    }
}

/// The pieces of a new unique name, all supplied by the caller (the library reads no
/// clock, pid or host name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueName<'h> {
    /// Seconds since the Unix epoch.
    pub secs: u64,
    /// Microseconds within the second.
    pub usec: u32,
    /// Process id of the delivering process.
    pub pid: u32,
    /// A counter the process increments for each delivery within the same microsecond.
    pub counter: u64,
    /// The host name (`/` and `:` in it are escaped as `\057` and `\072`).
    pub host: &'h str,
}

impl UniqueName<'_> {
    /// Builds `secs.M<usec>P<pid>Q<counter>.host[,S=size][,W=vsize]`.
    pub fn build(&self, size: Option<u64>, vsize: Option<u64>) -> String {
        let mut s = format!(
            "{}.M{}P{}Q{}.{}",
            self.secs,
            self.usec,
            self.pid,
            self.counter,
            self.host.replace('/', "\\057").replace(':', "\\072")
        );
        if let Some(n) = size {
            let _ = write!(s, ",S={n}");
        }
        if let Some(n) = vsize {
            let _ = write!(s, ",W={n}");
        }
        s
    }
}

/// The name a file gets in `cur/` with `flags`: any existing info suffix is replaced by
/// `:2,` and the flags in canonical order (sorted, no duplicates).
pub fn with_flags(name: &str, flags: Flags) -> String {
    let unique = match MaildirName::parse(name) {
        Ok(n) => n.unique,
        Err(_) => name,
    };
    format!("{unique}:2,{flags}")
}

/// The name a message from `new/` gets when moved to `cur/` without flags (`:2,`).
pub fn cur_name(new_name: &str) -> String {
    with_flags(new_name, Flags::EMPTY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_sorted_dedup() {
        let (f, r) = Flags::parse("SRFSa");
        assert!(r.unsorted && r.duplicates && !r.unknown);
        assert_eq!(f.to_string(), "FRSa");
        let (f, r) = Flags::parse("DFPRST");
        assert_eq!(r, FlagsReport::default());
        assert_eq!(f.to_string(), "DFPRST");
        assert!(Flags::parse("S?").1.unknown);
    }

    #[test]
    fn parse_dovecot_name() {
        let n =
            MaildirName::parse("1035478339.M545947P6473Q2.host\\057a,S=1803,W=1850:2,ST").unwrap();
        assert_eq!(n.secs, Some(1_035_478_339));
        assert_eq!(n.usec, Some(545_947));
        assert_eq!(n.pid, Some(6473));
        assert_eq!(n.counter, Some(2));
        assert_eq!(n.host.as_deref(), Some("host/a"));
        assert_eq!(n.size, Some(1803));
        assert_eq!(n.vsize, Some(1850));
        assert_eq!(n.flags(), Flags::SEEN | Flags::TRASHED);
        assert_eq!(n.subdir(), Subdir::Cur);
        let n = MaildirName::parse("1035478339.P6473Q2.host").unwrap();
        assert_eq!(n.subdir(), Subdir::New);
        assert_eq!(n.usec, None);
        assert!(MaildirName::parse("a/b").is_err());
        assert!(MaildirName::parse(".hidden").is_err());
        let n = MaildirName::parse("1.2.h!2,S").unwrap();
        assert_eq!(n.flags(), Flags::SEEN);
    }

    #[test]
    fn build_round_trip() {
        let u = UniqueName {
            secs: 1,
            usec: 2,
            pid: 3,
            counter: 4,
            host: "a:b/c",
        };
        let name = u.build(Some(10), None);
        assert_eq!(name, "1.M2P3Q4.a\\072b\\057c,S=10");
        let p = MaildirName::parse(&name).unwrap();
        assert_eq!(p.host.as_deref(), Some("a:b/c"));
        assert_eq!(p.counter, Some(4));
        assert_eq!(cur_name(&name), format!("{name}:2,"));
        assert_eq!(
            with_flags(&format!("{name}:2,S"), Flags::FLAGGED),
            format!("{name}:2,F")
        );
    }
}
