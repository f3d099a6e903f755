//! SMTP, ESMTP and LMTP commands: parsing and encoding.

use std::borrow::Cow;
use std::fmt;

use crate::params::{ParamErrorKind, Parameter, parse_parameter};
use crate::path::{
    ForwardPath, Host, PathErrorKind, ReversePath, find_byte, parse_forward_path, parse_host,
    parse_reverse_path, simple_mailbox_at, simple_mailbox_from, split_byte, strip_byte_prefix,
    trim_start_byte,
};

/// How liberal the command parser is. [`ParseOptions::default`] accepts what Postfix
/// accepts by default; [`ParseOptions::strict`] accepts only RFC 5321 syntax.
///
/// Verbs and keywords are always case-insensitive (RFC 5321 section 2.4), so `mail from:`
/// is accepted in both modes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Accept paths without angle brackets: `MAIL FROM:user@host`.
    pub allow_bare_path: bool,
    /// Accept spaces between `FROM:`/`TO:` and the path: `MAIL FROM: <user@host>`.
    pub allow_space_after_colon: bool,
    /// Accept any single token as `HELO`/`EHLO`/`LHLO` argument (`EHLO my_host`).
    pub allow_any_helo: bool,
    /// Accept trailing spaces and tabs and several spaces between parameters.
    pub allow_extra_spaces: bool,
    /// Longest command line accepted, without its CRLF (RFC 5321 says at least 512 with
    /// the CRLF; ESMTP parameters make real lines longer).
    pub max_line_length: usize,
    /// Most parameters accepted on one `MAIL`/`RCPT` command.
    pub max_parameters: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            allow_bare_path: true,
            allow_space_after_colon: true,
            allow_any_helo: true,
            allow_extra_spaces: true,
            max_line_length: 2048,
            max_parameters: 16,
        }
    }
}

impl ParseOptions {
    /// RFC 5321 syntax only; 512-octet command lines (CRLF included).
    pub fn strict() -> Self {
        ParseOptions {
            allow_bare_path: false,
            allow_space_after_colon: false,
            allow_any_helo: false,
            allow_extra_spaces: false,
            max_line_length: 510,
            max_parameters: 16,
        }
    }
}

/// The command verbs, without their arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Verb {
    Helo,
    Ehlo,
    Lhlo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Vrfy,
    Expn,
    Help,
    Noop,
    Quit,
    StartTls,
    Auth,
    Etrn,
    Atrn,
    Burl,
}

impl Verb {
    /// The verb as sent on the wire (upper case).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Helo => "HELO",
            Verb::Ehlo => "EHLO",
            Verb::Lhlo => "LHLO",
            Verb::Mail => "MAIL",
            Verb::Rcpt => "RCPT",
            Verb::Data => "DATA",
            Verb::Bdat => "BDAT",
            Verb::Rset => "RSET",
            Verb::Vrfy => "VRFY",
            Verb::Expn => "EXPN",
            Verb::Help => "HELP",
            Verb::Noop => "NOOP",
            Verb::Quit => "QUIT",
            Verb::StartTls => "STARTTLS",
            Verb::Auth => "AUTH",
            Verb::Etrn => "ETRN",
            Verb::Atrn => "ATRN",
            Verb::Burl => "BURL",
        }
    }

    /// Looks a verb up, case-insensitively.
    #[inline]
    pub fn from_bytes(word: &[u8]) -> Option<Verb> {
        match *word {
            [b0, b1, b2, b3] => {
                let upper = [
                    b0.to_ascii_uppercase(),
                    b1.to_ascii_uppercase(),
                    b2.to_ascii_uppercase(),
                    b3.to_ascii_uppercase(),
                ];
                Some(match &upper {
                    b"MAIL" => Verb::Mail,
                    b"RCPT" => Verb::Rcpt,
                    b"DATA" => Verb::Data,
                    b"EHLO" => Verb::Ehlo,
                    b"HELO" => Verb::Helo,
                    b"LHLO" => Verb::Lhlo,
                    b"BDAT" => Verb::Bdat,
                    b"RSET" => Verb::Rset,
                    b"NOOP" => Verb::Noop,
                    b"QUIT" => Verb::Quit,
                    b"VRFY" => Verb::Vrfy,
                    b"EXPN" => Verb::Expn,
                    b"HELP" => Verb::Help,
                    b"AUTH" => Verb::Auth,
                    b"ETRN" => Verb::Etrn,
                    b"ATRN" => Verb::Atrn,
                    b"BURL" => Verb::Burl,
                    _ => return None,
                })
            }
            _ if word.eq_ignore_ascii_case(b"STARTTLS") => Some(Verb::StartTls),
            _ => None,
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One command, borrowing from the line it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command<'a> {
    /// `HELO domain`.
    Helo(Host<'a>),
    /// `EHLO domain`.
    Ehlo(Host<'a>),
    /// `LHLO domain` (LMTP, RFC 2033).
    Lhlo(Host<'a>),
    /// `MAIL FROM:<path> [params]`.
    Mail {
        /// The reverse path.
        from: ReversePath<'a>,
        /// ESMTP parameters, in order.
        params: Vec<Parameter<'a>>,
    },
    /// `RCPT TO:<path> [params]`.
    Rcpt {
        /// The forward path.
        to: ForwardPath<'a>,
        /// ESMTP parameters, in order.
        params: Vec<Parameter<'a>>,
    },
    /// `DATA`.
    Data,
    /// `BDAT size [LAST]` (RFC 3030).
    Bdat {
        /// Octets of the chunk that follows the command line.
        size: u64,
        /// Whether this is the last chunk.
        last: bool,
    },
    /// `RSET`.
    Rset,
    /// `VRFY string`.
    Vrfy(Cow<'a, str>),
    /// `EXPN string`.
    Expn(Cow<'a, str>),
    /// `HELP [string]`.
    Help(Option<Cow<'a, str>>),
    /// `NOOP [string]`.
    Noop(Option<Cow<'a, str>>),
    /// `QUIT`.
    Quit,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954).
    Auth {
        /// The SASL mechanism name.
        mechanism: Cow<'a, str>,
        /// The base64 initial response; `Some("")` is sent as `=`.
        initial_response: Option<Cow<'a, str>>,
    },
    /// `ETRN node` (RFC 1985).
    Etrn(Cow<'a, str>),
    /// `ATRN [domain,...]` (RFC 2645).
    Atrn(Vec<Cow<'a, str>>),
    /// `BURL uri [LAST]` (RFC 4468).
    Burl {
        /// The URL of the message part.
        uri: Cow<'a, str>,
        /// Whether this is the last part.
        last: bool,
    },
}

/// What is wrong with a command line, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct CommandError {
    /// What is wrong.
    pub kind: CommandErrorKind,
    /// Byte offset of the fault in the line.
    pub offset: usize,
    /// The verb, when it was recognised (lets a server answer in context).
    pub verb: Option<Verb>,
}

/// The kinds of [`CommandError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandErrorKind {
    /// The line is empty.
    #[error("empty command line")]
    Empty,
    /// The line is longer than [`ParseOptions::max_line_length`].
    #[error("command line too long")]
    TooLong,
    /// A CR, LF or NUL inside the line.
    #[error("forbidden byte {0:#04x} in command line")]
    ForbiddenByte(u8),
    /// The line is not UTF-8.
    #[error("command line is not UTF-8")]
    InvalidUtf8,
    /// The verb is not known.
    #[error("unknown command")]
    UnknownCommand,
    /// General syntax error (e.g. `MAIL` without `FROM:`).
    #[error("syntax error")]
    Syntax,
    /// A required argument is missing.
    #[error("missing argument")]
    MissingArgument,
    /// The command takes no (or no more) argument.
    #[error("unexpected argument")]
    UnexpectedArgument,
    /// A number does not fit in 64 bits.
    #[error("number too large")]
    Overflow,
    /// The path is malformed.
    #[error("bad path: {0}")]
    Path(PathErrorKind),
    /// An ESMTP parameter is malformed.
    #[error("bad parameter: {0}")]
    Parameter(ParamErrorKind),
    /// More parameters than [`ParseOptions::max_parameters`].
    #[error("too many parameters")]
    TooManyParameters,
}

// Cold and out of line: the error is built only on the failure path, so the success path
// stays small.
#[cold]
#[inline(never)]
fn cerr(kind: CommandErrorKind, offset: usize, verb: Option<Verb>) -> CommandError {
    CommandError { kind, offset, verb }
}

/// Finds the first CR, LF or NUL in `bytes`.
#[inline(always)]
#[allow(clippy::inline_always)] // measured: a call per command line showed in perf
pub(crate) fn find_forbidden(bytes: &[u8]) -> Option<usize> {
    // CR, LF and NUL are all below 14, and a command line rarely has any byte that low
    // (TAB is the only usual one): one branch-free comparison per byte, which the compiler
    // vectorises, and the precise search only when it says so.
    let (blocks, tail) = bytes.as_chunks::<16>();
    let mut low = 0u8;
    for block in blocks {
        for &b in block {
            low |= u8::from(b < 14);
        }
    }
    for &b in tail {
        low |= u8::from(b < 14);
    }
    if low == 0 {
        return None;
    }
    find_forbidden_precise(bytes)
}

/// The precise search of [`find_forbidden`], out of line: rarely needed.
#[cold]
#[inline(never)]
fn find_forbidden_precise(bytes: &[u8]) -> Option<usize> {
    memchr::memchr3(b'\r', b'\n', 0, bytes)
}

/// Finds the end of a bracketed path (index of the closing `>`), honouring quoted strings.
fn bracket_end(s: &str) -> Option<usize> {
    // Fast path: a `>` before any quote or address literal ends the path whatever the
    // state (no quoted string or literal can have started before it).
    let bytes = s.as_bytes();
    if let Some(i) = bytes
        .get(1..)
        .and_then(|rest| rest.iter().position(|&b| matches!(b, b'>' | b'"' | b'[')))
        && bytes.get(i + 1) == Some(&b'>')
    {
        return Some(i + 1);
    }
    // Quotes are special only in the local part: after the source route (if any) and
    // before the `@` that ends the local part.
    let mut in_route = s.as_bytes().get(1) == Some(&b'@');
    let mut in_local = !in_route;
    let mut in_quote = false;
    let mut in_literal = false;
    let mut escaped = false;
    for (i, b) in s.bytes().enumerate().skip(1) {
        if escaped {
            escaped = false;
        } else if in_literal {
            in_literal = b != b']';
        } else if b == b'[' && !in_local {
            in_literal = true;
        } else if in_quote {
            match b {
                b'\\' => escaped = true,
                b'"' => in_quote = false,
                _ => {}
            }
        } else if b == b'>' {
            return Some(i);
        } else if in_route {
            if b == b':' {
                in_route = false;
                in_local = true;
            }
        } else if in_local {
            match b {
                b'"' => in_quote = true,
                b'@' => in_local = false,
                _ => {}
            }
        }
    }
    None
}

impl<'a> Command<'a> {
    /// Parses one command line. `line` may end in CRLF (which is ignored); any other CR,
    /// LF or NUL is an error.
    pub fn parse(line: &'a [u8], opts: &ParseOptions) -> Result<Command<'a>, CommandError> {
        let line = match line {
            [rest @ .., b'\r', b'\n'] => rest,
            _ => line,
        };
        if line.len() > opts.max_line_length {
            return Err(cerr(CommandErrorKind::TooLong, opts.max_line_length, None));
        }
        // `DATA`, `RSET`, `QUIT`, `NOOP`, `HELP` alone: four letters, nothing to check.
        if let [_, _, _, _] = line
            && let Some(verb) = Verb::from_bytes(line)
        {
            match verb {
                Verb::Data => return Ok(Command::Data),
                Verb::Rset => return Ok(Command::Rset),
                Verb::Quit => return Ok(Command::Quit),
                Verb::Noop => return Ok(Command::Noop(None)),
                Verb::Help => return Ok(Command::Help(None)),
                _ => {}
            }
        }
        if let Some(i) = find_forbidden(line) {
            let b = line.get(i).copied().unwrap_or(0);
            return Err(cerr(CommandErrorKind::ForbiddenByte(b), i, None));
        }
        let line = std::str::from_utf8(line)
            .map_err(|e| cerr(CommandErrorKind::InvalidUtf8, e.valid_up_to(), None))?;
        let line =
            if opts.allow_extra_spaces && matches!(line.as_bytes().last(), Some(b' ' | b'\t')) {
                let kept = line.len()
                    - line
                        .bytes()
                        .rev()
                        .take_while(|&b| b == b' ' || b == b'\t')
                        .count();
                line.get(..kept).unwrap_or_default()
            } else {
                line
            };
        if line.is_empty() {
            return Err(cerr(CommandErrorKind::Empty, 0, None));
        }
        let (word, rest) = match split_byte(line, b' ') {
            Some((w, r)) => (w, Some(r)),
            None => (line, None),
        };
        let Some(verb) = Verb::from_bytes(word.as_bytes()) else {
            return Err(cerr(CommandErrorKind::UnknownCommand, 0, None));
        };
        let arg_at = word.len() + 1;
        let v = Some(verb);
        let e = |kind, off| cerr(kind, off, v);
        let no_arg = |c: Command<'a>| match rest {
            None => Ok(c),
            Some(_) => Err(e(CommandErrorKind::UnexpectedArgument, arg_at)),
        };
        let need_arg = || match rest {
            Some(r) if !r.is_empty() => Ok(r),
            _ => Err(e(CommandErrorKind::MissingArgument, line.len())),
        };
        match verb {
            Verb::Helo | Verb::Ehlo | Verb::Lhlo => {
                let arg = need_arg()?;
                let host = match parse_host(arg, arg_at) {
                    Ok(h) => h,
                    Err(pe) => {
                        if opts.allow_any_helo && !arg.contains([' ', '\t']) {
                            Host::Domain(Cow::Borrowed(arg))
                        } else {
                            return Err(e(CommandErrorKind::Path(pe.kind), pe.offset));
                        }
                    }
                };
                Ok(match verb {
                    Verb::Helo => Command::Helo(host),
                    Verb::Ehlo => Command::Ehlo(host),
                    _ => Command::Lhlo(host),
                })
            }
            Verb::Mail | Verb::Rcpt => {
                let arg = need_arg()?;
                let prefix = if verb == Verb::Mail { "FROM:" } else { "TO:" };
                let head = arg.get(..prefix.len()).unwrap_or_default();
                if !head.eq_ignore_ascii_case(prefix) {
                    return Err(e(CommandErrorKind::Syntax, arg_at));
                }
                let mut at = arg_at + prefix.len();
                let mut path_and_params = arg.get(prefix.len()..).unwrap_or_default();
                if opts.allow_space_after_colon {
                    let trimmed = trim_start_byte(path_and_params, b' ');
                    at += path_and_params.len() - trimmed.len();
                    path_and_params = trimmed;
                }
                let path_len = if path_and_params.as_bytes().first() == Some(&b'<') {
                    bracket_end(path_and_params)
                        .map(|i| i + 1)
                        .ok_or_else(|| e(CommandErrorKind::Path(PathErrorKind::Brackets), at))?
                } else {
                    find_byte(path_and_params.as_bytes(), b' ').unwrap_or(path_and_params.len())
                };
                let (path, params_str) = path_and_params.split_at(path_len);
                // The usual `<local@domain>` is checked in place and built once, straight
                // into the return value; anything else (and any error) goes through the
                // general path parser.
                if let Some(at_sign) = simple_mailbox_at(path) {
                    let params = parse_params(params_str, at + path_len, opts, v)?;
                    let mailbox = simple_mailbox_from(path, at_sign);
                    return Ok(if verb == Verb::Mail {
                        Command::Mail {
                            from: ReversePath::Mailbox(mailbox),
                            params,
                        }
                    } else {
                        Command::Rcpt {
                            to: ForwardPath::Mailbox(mailbox),
                            params,
                        }
                    });
                }
                if verb == Verb::Mail {
                    let from = parse_reverse_path(path, at, opts.allow_bare_path)
                        .map_err(|pe| e(CommandErrorKind::Path(pe.kind), pe.offset))?;
                    let params = parse_params(params_str, at + path_len, opts, v)?;
                    Ok(Command::Mail { from, params })
                } else {
                    let to = parse_forward_path(path, at, opts.allow_bare_path)
                        .map_err(|pe| e(CommandErrorKind::Path(pe.kind), pe.offset))?;
                    let params = parse_params(params_str, at + path_len, opts, v)?;
                    Ok(Command::Rcpt { to, params })
                }
            }
            Verb::Data => no_arg(Command::Data),
            Verb::Rset => no_arg(Command::Rset),
            Verb::Quit => no_arg(Command::Quit),
            Verb::StartTls => no_arg(Command::StartTls),
            Verb::Bdat => {
                let arg = need_arg()?;
                let (size, last) = match split_byte(arg, b' ') {
                    None => (arg, false),
                    Some((s, l)) if l.eq_ignore_ascii_case("LAST") => (s, true),
                    Some((s, _)) => {
                        return Err(e(
                            CommandErrorKind::UnexpectedArgument,
                            arg_at + s.len() + 1,
                        ));
                    }
                };
                let size = crate::params::parse_u64(size).map_err(|k| {
                    e(
                        if k == ParamErrorKind::Overflow {
                            CommandErrorKind::Overflow
                        } else {
                            CommandErrorKind::Syntax
                        },
                        arg_at,
                    )
                })?;
                Ok(Command::Bdat { size, last })
            }
            Verb::Vrfy => Ok(Command::Vrfy(Cow::Borrowed(need_arg()?))),
            Verb::Expn => Ok(Command::Expn(Cow::Borrowed(need_arg()?))),
            Verb::Help => Ok(Command::Help(
                rest.filter(|r| !r.is_empty()).map(Cow::Borrowed),
            )),
            Verb::Noop => Ok(Command::Noop(
                rest.filter(|r| !r.is_empty()).map(Cow::Borrowed),
            )),
            Verb::Etrn => Ok(Command::Etrn(Cow::Borrowed(need_arg()?))),
            Verb::Auth => {
                let arg = need_arg()?;
                let (mech, ir) = match split_byte(arg, b' ') {
                    None => (arg, None),
                    Some((m, "=")) => (m, Some(Cow::Borrowed(""))),
                    Some((m, ir)) => {
                        if ir.is_empty()
                            || !ir.bytes().all(|b| {
                                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
                            })
                        {
                            return Err(e(CommandErrorKind::Syntax, arg_at + m.len() + 1));
                        }
                        (m, Some(Cow::Borrowed(ir)))
                    }
                };
                if mech.is_empty()
                    || !mech
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err(e(CommandErrorKind::Syntax, arg_at));
                }
                Ok(Command::Auth {
                    mechanism: Cow::Borrowed(mech),
                    initial_response: ir,
                })
            }
            Verb::Atrn => {
                let Some(arg) = rest.filter(|r| !r.is_empty()) else {
                    return Ok(Command::Atrn(Vec::new()));
                };
                let mut domains = Vec::new();
                let mut off = arg_at;
                for d in arg.split(',') {
                    if !crate::path::is_domain(d) {
                        return Err(e(CommandErrorKind::Path(PathErrorKind::Domain), off));
                    }
                    if domains.len() >= opts.max_parameters {
                        return Err(e(CommandErrorKind::TooManyParameters, off));
                    }
                    domains.push(Cow::Borrowed(d));
                    off += d.len() + 1;
                }
                Ok(Command::Atrn(domains))
            }
            Verb::Burl => {
                let arg = need_arg()?;
                let (uri, last) = match split_byte(arg, b' ') {
                    None => (arg, false),
                    Some((u, l)) if l.eq_ignore_ascii_case("LAST") => (u, true),
                    Some((u, _)) => {
                        return Err(e(
                            CommandErrorKind::UnexpectedArgument,
                            arg_at + u.len() + 1,
                        ));
                    }
                };
                Ok(Command::Burl {
                    uri: Cow::Borrowed(uri),
                    last,
                })
            }
        }
    }

    /// The verb of this command.
    pub fn verb(&self) -> Verb {
        match self {
            Command::Helo(_) => Verb::Helo,
            Command::Ehlo(_) => Verb::Ehlo,
            Command::Lhlo(_) => Verb::Lhlo,
            Command::Mail { .. } => Verb::Mail,
            Command::Rcpt { .. } => Verb::Rcpt,
            Command::Data => Verb::Data,
            Command::Bdat { .. } => Verb::Bdat,
            Command::Rset => Verb::Rset,
            Command::Vrfy(_) => Verb::Vrfy,
            Command::Expn(_) => Verb::Expn,
            Command::Help(_) => Verb::Help,
            Command::Noop(_) => Verb::Noop,
            Command::Quit => Verb::Quit,
            Command::StartTls => Verb::StartTls,
            Command::Auth { .. } => Verb::Auth,
            Command::Etrn(_) => Verb::Etrn,
            Command::Atrn(_) => Verb::Atrn,
            Command::Burl { .. } => Verb::Burl,
        }
    }

    /// Appends the command line, CRLF included, to `out`. Fails (appending nothing) if
    /// any argument would put a CR, LF or NUL on the wire.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), CommandError> {
        use std::io::Write as _;
        let start = out.len();
        // Writing to a Vec cannot fail.
        let _ = write!(out, "{self}");
        if let Some(i) = out.get(start..).and_then(find_forbidden) {
            let b = out.get(start + i).copied().unwrap_or(0);
            out.truncate(start);
            return Err(cerr(
                CommandErrorKind::ForbiddenByte(b),
                i,
                Some(self.verb()),
            ));
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    /// Converts to an owned, `'static` value.
    pub fn into_owned(self) -> Command<'static> {
        fn o(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        match self {
            Command::Helo(h) => Command::Helo(h.into_owned()),
            Command::Ehlo(h) => Command::Ehlo(h.into_owned()),
            Command::Lhlo(h) => Command::Lhlo(h.into_owned()),
            Command::Mail { from, params } => Command::Mail {
                from: from.into_owned(),
                params: params.into_iter().map(Parameter::into_owned).collect(),
            },
            Command::Rcpt { to, params } => Command::Rcpt {
                to: to.into_owned(),
                params: params.into_iter().map(Parameter::into_owned).collect(),
            },
            Command::Data => Command::Data,
            Command::Bdat { size, last } => Command::Bdat { size, last },
            Command::Rset => Command::Rset,
            Command::Vrfy(s) => Command::Vrfy(o(s)),
            Command::Expn(s) => Command::Expn(o(s)),
            Command::Help(s) => Command::Help(s.map(o)),
            Command::Noop(s) => Command::Noop(s.map(o)),
            Command::Quit => Command::Quit,
            Command::StartTls => Command::StartTls,
            Command::Auth {
                mechanism,
                initial_response,
            } => Command::Auth {
                mechanism: o(mechanism),
                initial_response: initial_response.map(o),
            },
            Command::Etrn(s) => Command::Etrn(o(s)),
            Command::Atrn(d) => Command::Atrn(d.into_iter().map(o).collect()),
            Command::Burl { uri, last } => Command::Burl { uri: o(uri), last },
        }
    }
}

// Inlined into its two callers so the `Vec` is not returned through memory (which cost
// store-forwarding stalls).
#[inline(always)]
#[allow(clippy::inline_always)] // measured with perf
fn parse_params<'a>(
    s: &'a str,
    mut at: usize,
    opts: &ParseOptions,
    verb: Option<Verb>,
) -> Result<Vec<Parameter<'a>>, CommandError> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    // One allocation: room for four parameters (more than real clients send) is what the
    // first push would reserve anyway.
    let mut params = Vec::with_capacity(4);
    let Some(mut rest) = strip_byte_prefix(s, b' ') else {
        return Err(cerr(CommandErrorKind::Syntax, at, verb));
    };
    at += 1;
    while !rest.is_empty() {
        if opts.allow_extra_spaces {
            let t = trim_start_byte(rest, b' ');
            at += rest.len() - t.len();
            rest = t;
            if rest.is_empty() {
                break;
            }
        }
        let (p, tail) = match split_byte(rest, b' ') {
            Some((p, t)) => (p, Some(t)),
            None => (rest, None),
        };
        if params.len() >= opts.max_parameters {
            return Err(cerr(CommandErrorKind::TooManyParameters, at, verb));
        }
        let param =
            parse_parameter(p).map_err(|k| cerr(CommandErrorKind::Parameter(k), at, verb))?;
        params.push(param);
        at += p.len() + 1;
        rest = match tail {
            Some(t) if t.is_empty() && !opts.allow_extra_spaces => {
                return Err(cerr(CommandErrorKind::Syntax, at, verb));
            }
            Some(t) => t,
            None => "",
        };
    }
    Ok(params)
}

impl fmt::Display for Command<'_> {
    /// The command line without its CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params = |f: &mut fmt::Formatter<'_>, ps: &[Parameter<'_>]| {
            for p in ps {
                write!(f, " {p}")?;
            }
            Ok(())
        };
        let opt = |f: &mut fmt::Formatter<'_>, verb: &str, s: &Option<Cow<'_, str>>| match s {
            Some(s) => write!(f, "{verb} {s}"),
            None => f.write_str(verb),
        };
        match self {
            Command::Helo(h) => write!(f, "HELO {h}"),
            Command::Ehlo(h) => write!(f, "EHLO {h}"),
            Command::Lhlo(h) => write!(f, "LHLO {h}"),
            Command::Mail { from, params: ps } => {
                write!(f, "MAIL FROM:{from}")?;
                params(f, ps)
            }
            Command::Rcpt { to, params: ps } => {
                write!(f, "RCPT TO:{to}")?;
                params(f, ps)
            }
            Command::Data => f.write_str("DATA"),
            Command::Bdat { size, last } => {
                write!(f, "BDAT {size}{}", if *last { " LAST" } else { "" })
            }
            Command::Rset => f.write_str("RSET"),
            Command::Vrfy(s) => write!(f, "VRFY {s}"),
            Command::Expn(s) => write!(f, "EXPN {s}"),
            Command::Help(s) => opt(f, "HELP", s),
            Command::Noop(s) => opt(f, "NOOP", s),
            Command::Quit => f.write_str("QUIT"),
            Command::StartTls => f.write_str("STARTTLS"),
            Command::Auth {
                mechanism,
                initial_response,
            } => match initial_response.as_deref() {
                None => write!(f, "AUTH {mechanism}"),
                Some("") => write!(f, "AUTH {mechanism} ="),
                Some(ir) => write!(f, "AUTH {mechanism} {ir}"),
            },
            Command::Etrn(s) => write!(f, "ETRN {s}"),
            Command::Atrn(ds) => {
                f.write_str("ATRN")?;
                for (i, d) in ds.iter().enumerate() {
                    f.write_str(if i == 0 { " " } else { "," })?;
                    f.write_str(d)?;
                }
                Ok(())
            }
            Command::Burl { uri, last } => {
                write!(f, "BURL {uri}{}", if *last { " LAST" } else { "" })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Mailbox;

    fn p(s: &str) -> Result<Command<'_>, CommandError> {
        Command::parse(s.as_bytes(), &ParseOptions::default())
    }
    fn strict(s: &str) -> Result<Command<'_>, CommandError> {
        Command::parse(s.as_bytes(), &ParseOptions::strict())
    }

    #[test]
    fn seeds_lenient_forms() {
        // Typed in the seeds over telnet.
        let c = p("MAIL FROM: feik@lab.it.uc3m.es").unwrap();
        assert_eq!(
            c,
            Command::Mail {
                from: ReversePath::Mailbox(Mailbox::new("feik", "lab.it.uc3m.es")),
                params: vec![]
            }
        );
        assert!(matches!(
            p("RCPT TO: 0429021@lab.it.uc3m.es").unwrap(),
            Command::Rcpt { .. }
        ));
        assert!(matches!(
            p("mail from: <usuario@servidor.com>").unwrap(),
            Command::Mail { .. }
        ));
        assert!(matches!(
            p("rcpt to:<destino@otroservidor.com>").unwrap(),
            Command::Rcpt { .. }
        ));
        assert_eq!(
            strict("MAIL FROM: feik@lab.it.uc3m.es").unwrap_err().kind,
            CommandErrorKind::Path(PathErrorKind::Empty)
        );
        assert_eq!(
            strict("MAIL FROM:feik@lab.it.uc3m.es").unwrap_err().kind,
            CommandErrorKind::Path(PathErrorKind::Brackets)
        );
        assert!(strict("mail FROM:<tester@example.org> size=9552").is_ok());
        assert_eq!(
            p("ehlo usuario").unwrap(),
            Command::Ehlo(Host::Domain("usuario".into()))
        );
        assert_eq!(
            p("EHLO [172.28.0.1]").unwrap(),
            Command::Ehlo(Host::Ipv4("172.28.0.1".parse().unwrap()))
        );
        assert_eq!(
            p("HELO my_host").unwrap(),
            Command::Helo(Host::Domain("my_host".into()))
        );
        assert!(strict("HELO my_host").is_err());
    }

    #[test]
    fn all_verbs() {
        let cases = [
            "HELO crepes.fr",
            "EHLO foo.com",
            "LHLO mx.example.test",
            "MAIL FROM:<raw@example.org> BODY=8BITMIME",
            "MAIL FROM:<> SIZE=100 RET=HDRS ENVID=QQ314159 AUTH=<>",
            "RCPT TO:<bob@localhost> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+2Bob@x.org",
            "RCPT TO:<Postmaster>",
            "DATA",
            "BDAT 20",
            "BDAT 47 LAST",
            "RSET",
            "VRFY alice",
            "EXPN staff",
            "HELP",
            "HELP MAIL",
            "NOOP",
            "NOOP hello there",
            "QUIT",
            "STARTTLS",
            "AUTH PLAIN",
            "AUTH PLAIN =",
            "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
            "ETRN @example.org",
            "ATRN",
            "ATRN a.example,b.example",
            "BURL imap://x/y LAST",
            "MAIL FROM:<a@b> MT-PRIORITY=-3 BY=120;RT HOLDFOR=60 REQUIRETLS SMTPUTF8 X-FOO",
        ];
        for line in cases {
            let c = strict(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            let mut out = Vec::new();
            c.encode(&mut out).unwrap();
            assert_eq!(out, format!("{line}\r\n").as_bytes(), "{line}");
        }
    }

    #[test]
    fn errors_have_offsets() {
        let e = p("MAIL FROM:<a@b> SIZE=99999999999999999999").unwrap_err();
        assert_eq!(
            e.kind,
            CommandErrorKind::Parameter(ParamErrorKind::Overflow)
        );
        assert_eq!(e.offset, 16);
        assert_eq!(e.verb, Some(Verb::Mail));
        let e = p("BDAT 99999999999999999999").unwrap_err();
        assert_eq!(e.kind, CommandErrorKind::Overflow);
        let e = p("VRFY a\rb").unwrap_err();
        assert_eq!(
            (e.kind, e.offset),
            (CommandErrorKind::ForbiddenByte(b'\r'), 6)
        );
        let e = p("VRFY a\0b").unwrap_err();
        assert_eq!(e.kind, CommandErrorKind::ForbiddenByte(0));
        let e = p("NOOP a\nb").unwrap_err();
        assert_eq!(e.kind, CommandErrorKind::ForbiddenByte(b'\n'));
        assert_eq!(
            p("BOGUS command").unwrap_err().kind,
            CommandErrorKind::UnknownCommand
        );
        assert_eq!(
            p("DATA x").unwrap_err().kind,
            CommandErrorKind::UnexpectedArgument
        );
        assert_eq!(
            p("MAIL TO:<a@b>").unwrap_err().kind,
            CommandErrorKind::Syntax
        );
        assert_eq!(
            p("MAIL").unwrap_err().kind,
            CommandErrorKind::MissingArgument
        );
        assert_eq!(
            p("RCPT TO:<>").unwrap_err().kind,
            CommandErrorKind::Path(PathErrorKind::NullPath)
        );
        assert_eq!(
            p("RCPT TO:<bob@localhost> FOO=BAR").unwrap(),
            Command::Rcpt {
                to: ForwardPath::Mailbox(Mailbox::new("bob", "localhost")),
                params: vec![Parameter::Other {
                    keyword: "FOO".into(),
                    value: Some("BAR".into())
                }]
            }
        );
        let long = format!("NOOP {}", "x".repeat(3000));
        assert_eq!(p(&long).unwrap_err().kind, CommandErrorKind::TooLong);
        assert_eq!(
            Command::parse(b"NOOP \xff", &ParseOptions::default())
                .unwrap_err()
                .kind,
            CommandErrorKind::InvalidUtf8
        );
    }

    #[test]
    fn quoted_paths_with_brackets_and_spaces() {
        let c = strict(r#"MAIL FROM:<"a> b"@x.org> SIZE=1"#).unwrap();
        let Command::Mail { from, params } = c else {
            panic!()
        };
        assert_eq!(from.mailbox().unwrap().local_part, "a> b");
        assert_eq!(params, vec![Parameter::Size(1)]);
        assert!(matches!(
            p("MAIL FROM:<josé@example.org> SMTPUTF8").unwrap(),
            Command::Mail { .. }
        ));
    }

    #[test]
    fn encode_refuses_injection() {
        let c = Command::Vrfy("a\r\nRCPT TO:<x@y>".into());
        let mut out = b"keep".to_vec();
        assert_eq!(
            c.encode(&mut out).unwrap_err().kind,
            CommandErrorKind::ForbiddenByte(b'\r')
        );
        assert_eq!(out, b"keep");
    }
}
