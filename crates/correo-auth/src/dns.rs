//! The DNS question/answer protocol shared by SPF, DKIM and DMARC.
//!
//! The machines in this crate never resolve names themselves. They yield
//! [`Lookup`] questions; the caller asks any resolver (or a [`crate::zone::Zone`])
//! and hands back an [`Answer`].

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The record type asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QType {
    /// TXT records (SPF policies, DKIM keys, DMARC records, `exp=` texts).
    Txt,
    /// IPv4 address records.
    A,
    /// IPv6 address records.
    Aaaa,
    /// Mail exchanger records.
    Mx,
    /// Reverse-mapping pointer records.
    Ptr,
}

impl QType {
    /// The type's mnemonic, as in a zone file (`TXT`, `A`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            QType::Txt => "TXT",
            QType::A => "A",
            QType::Aaaa => "AAAA",
            QType::Mx => "MX",
            QType::Ptr => "PTR",
        }
    }
}

impl fmt::Display for QType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One DNS question a machine needs answered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lookup {
    /// The name to query, without a trailing dot.
    pub name: String,
    /// The record type.
    pub qtype: QType,
}

impl Lookup {
    /// A question for `name` of type `qtype`.
    pub fn new(name: impl Into<String>, qtype: QType) -> Self {
        Lookup {
            name: name.into(),
            qtype,
        }
    }
}

impl fmt::Display for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.qtype)
    }
}

/// One resource record in an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A TXT record: its character-strings joined with no separator.
    Txt(Vec<u8>),
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// A mail exchanger.
    Mx {
        /// Preference (lower is preferred).
        preference: u16,
        /// The exchanger's host name, without a trailing dot.
        exchange: String,
    },
    /// A pointer (reverse mapping) target, without a trailing dot.
    Ptr(String),
}

impl Record {
    /// The type of this record.
    pub fn qtype(&self) -> QType {
        match self {
            Record::Txt(_) => QType::Txt,
            Record::A(_) => QType::A,
            Record::Aaaa(_) => QType::Aaaa,
            Record::Mx { .. } => QType::Mx,
            Record::Ptr(_) => QType::Ptr,
        }
    }
}

/// The caller's answer to a [`Lookup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The name exists and these records were found. Records of other types
    /// than the one asked for are ignored; an empty list means no data.
    Records(Vec<Record>),
    /// The name exists but has no record of the asked type (NOERROR, no answers).
    NoData,
    /// The name does not exist (NXDOMAIN).
    NxDomain,
    /// The query timed out or the server failed (SERVFAIL): a temporary error.
    TempFail,
}

impl Answer {
    /// True when the answer holds no record of `qtype` (no data or NXDOMAIN),
    /// i.e. a "void lookup" in SPF terms.
    pub fn is_void(&self, qtype: QType) -> bool {
        match self {
            Answer::Records(r) => !r.iter().any(|r| r.qtype() == qtype),
            Answer::NoData | Answer::NxDomain => true,
            Answer::TempFail => false,
        }
    }

    /// The records of type `qtype` in this answer.
    pub fn records(&self, qtype: QType) -> impl Iterator<Item = &Record> {
        let list: &[Record] = match self {
            Answer::Records(r) => r,
            _ => &[],
        };
        list.iter().filter(move |r| r.qtype() == qtype)
    }
}
