//! Limits and leniency: runtime settings per connection.

/// Resource limits for the framer and the grammar. Every one yields a typed error when
/// exceeded; none is a compile-time constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Longest line (the text of a message between literals), terminator excluded.
    /// Default 16 MiB: a SEARCH result of half a million UIDs is a 3.4 MB line.
    pub max_line_len: usize,
    /// Largest literal that is buffered (anything but message data, which is streamed).
    /// Default 1 MiB.
    pub max_literal: u64,
    /// Largest total of buffered bytes for one message (lines plus buffered literals).
    /// Default 32 MiB.
    pub max_message: usize,
    /// Deepest parenthesis nesting (BODYSTRUCTURE, BODY extension data, SEARCH keys with
    /// parentheses, NOT and OR, THREAD, and any list kept raw). Default 100, well above
    /// what real mail needs; parsing is iterative, so a deeper input is a
    /// [`ParseErrorKind::TooDeep`](crate::ParseErrorKind::TooDeep) error, never a stack
    /// overflow, whatever this is set to. (The values built are dropped, compared and
    /// encoded recursively: keep it in the thousands at most.)
    pub max_depth: usize,
    /// Deepest THREAD tree counting the links of chains: `(1 2 3)` is three messages each
    /// the parent of the next, three levels deep. Default 1 000 (a mailing-list thread
    /// can be a long chain; the value is cloned and compared recursively); parentheses
    /// count here too.
    pub max_thread_depth: usize,
    /// Most items in one list, or attributes in one FETCH response. Default 1 000 000.
    pub max_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_len: 16 << 20,
            max_literal: 1 << 20,
            max_message: 32 << 20,
            max_depth: 100,
            max_thread_depth: 1_000,
            max_items: 1_000_000,
        }
    }
}

/// Deviations from the grammar that real peers need, each one named. A runtime setting per
/// connection: [`Leniency::default`] accepts all of them (liberal in what is accepted),
/// [`Leniency::strict`] none. The encoder is always strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Leniency {
    /// Several spaces between capabilities (`* CAPABILITY IMAP4rev1  IDLE`), and a trailing
    /// space after the list.
    pub capability_extra_space: bool,
    /// Gmail's empty multipart in BODYSTRUCTURE: `("ALTERNATIVE")`, no parts.
    pub empty_multipart: bool,
    /// A bare LF ends a line like CRLF.
    pub bare_lf: bool,
    /// A status response without text (`A1 NO`, `* OK`).
    pub status_without_text: bool,
    /// A trailing space at the end of a response (Outlook: `* STATUS INBOX (MESSAGES 3) `).
    pub trailing_space: bool,
    /// `\*` in a FLAGS response (Zoho); otherwise only in PERMANENTFLAGS.
    pub wildcard_in_flags: bool,
    /// A continuation request without the space: `+` alone (Yandex).
    pub bare_continuation: bool,
    /// `UIDVALIDITY 0` (and UIDNEXT 0), which the grammar forbids (nz-number).
    pub uidvalidity_zero: bool,
    /// 8-bit bytes inside quoted strings.
    pub eight_bit_quoted: bool,
    /// Keywords in lower or mixed case (`a007 ok`, `* ok`), and `NIL` as `nil`.
    pub lowercase_keywords: bool,
    /// 8-bit bytes in atoms (the seed's `A001 LOGIN 0429021 MiSuperContraseña`, typed in
    /// telnet and accepted by Dovecot).
    pub eight_bit_atoms: bool,
    /// `BADCHARSET` with its charset list not in parentheses (RFC 9051's own example
    /// 6.4.4: `B283 NO [BADCHARSET UTF-8] KOI8-R is not supported`).
    pub bare_badcharset: bool,
    /// Two or more spaces where the grammar has one: between the tokens of a numbered
    /// response (the seed's `* 4 FETCH  (FLAGS (\Seen \Deleted))`), before the mailbox
    /// name in `LIST`/`LSUB`, and between the parts of `NAMESPACE` (RFC 9051's own
    /// examples in 6.3.9.8 and 6.3.10 have them).
    pub double_space: bool,
}

impl Default for Leniency {
    fn default() -> Self {
        Leniency::lenient()
    }
}

impl Leniency {
    /// Every quirk accepted.
    pub const fn lenient() -> Leniency {
        Leniency {
            capability_extra_space: true,
            empty_multipart: true,
            bare_lf: true,
            status_without_text: true,
            trailing_space: true,
            wildcard_in_flags: true,
            bare_continuation: true,
            uidvalidity_zero: true,
            eight_bit_quoted: true,
            lowercase_keywords: true,
            double_space: true,
            eight_bit_atoms: true,
            bare_badcharset: true,
        }
    }

    /// The grammar as written, no quirk accepted. (Keywords are still case-insensitive
    /// per RFC 3501 9 except the status keywords of responses.)
    pub const fn strict() -> Leniency {
        Leniency {
            capability_extra_space: false,
            empty_multipart: false,
            bare_lf: false,
            status_without_text: false,
            trailing_space: false,
            wildcard_in_flags: false,
            bare_continuation: false,
            uidvalidity_zero: false,
            eight_bit_quoted: false,
            lowercase_keywords: false,
            double_space: false,
            eight_bit_atoms: false,
            bare_badcharset: false,
        }
    }
}
