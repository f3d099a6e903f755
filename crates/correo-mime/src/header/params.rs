//! `Content-Type` and `Content-Disposition` with RFC 2045 parameters and RFC 2231
//! continuations, charsets and languages.

use std::borrow::Cow;

use crate::defect::Defect;

use super::HeaderDefect;
use super::encoded_word::decode_unstructured;
use super::lex::{Cursor, is_wsp, lower, table, utf8_cow};

/// Most parameters read from one field; the rest are ignored with a defect.
const MAX_PARAMS: usize = 256;

/// RFC 2045 token characters: printable ASCII except space and tspecials.
#[inline]
pub(crate) fn is_token_char(b: u8) -> bool {
    static TSPECIALS: [bool; 256] = table(b"()<>@,;:\\\"/[]?=");
    (33..=126).contains(&b) && !TSPECIALS[b as usize]
}

/// One parameter, after RFC 2231 sections were joined and the value decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param<'a> {
    /// The name as written (without any RFC 2231 `*N*` suffix).
    pub name: Cow<'a, str>,
    /// The value as text: RFC 2231 sections joined as bytes then decoded once from the
    /// declared charset; for plain values, RFC 2047 encoded words (a common non-standard
    /// use) decoded.
    pub value: Cow<'a, str>,
    /// The value bytes before charset (and RFC 2047) decoding: quotes and quoted pairs
    /// removed, `%XX` escapes resolved, sections joined.
    pub raw: Cow<'a, [u8]>,
    /// Whether the value came in RFC 2231 syntax (`name*=` or `name*0=` ...).
    pub extended: bool,
    /// The RFC 2231 charset, when one was declared.
    pub charset: Option<Cow<'a, str>>,
    /// The RFC 2231 language, when one was declared.
    pub language: Option<Cow<'a, str>>,
}

/// The parameters of a `Content-Type` or `Content-Disposition` field, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Params<'a> {
    list: Vec<Param<'a>>,
}

impl<'a> Params<'a> {
    /// The parameter `name` (ASCII case-insensitive). When both an RFC 2231 form and a
    /// plain form are present, the RFC 2231 one wins.
    pub fn get(&self, name: &str) -> Option<&Param<'a>> {
        let mut plain = None;
        for p in &self.list {
            if p.name.eq_ignore_ascii_case(name) {
                if p.extended {
                    return Some(p);
                }
                if plain.is_none() {
                    plain = Some(p);
                }
            }
        }
        plain
    }

    /// The decoded value of parameter `name`.
    pub fn value(&self, name: &str) -> Option<Cow<'a, str>> {
        self.get(name).map(|p| p.value.clone())
    }

    /// All parameters, in order of first appearance.
    pub fn iter(&self) -> impl Iterator<Item = &Param<'a>> {
        self.list.iter()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Sets parameter `name` to `value`, replacing any parameter of that name.
    pub fn set(&mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) {
        let name = name.into();
        let value = value.into();
        self.list.retain(|p| !p.name.eq_ignore_ascii_case(&name));
        self.list.push(Param {
            raw: match &value {
                Cow::Borrowed(v) => Cow::Borrowed(v.as_bytes()),
                Cow::Owned(v) => Cow::Owned(v.clone().into_bytes()),
            },
            name,
            value,
            extended: false,
            charset: None,
            language: None,
        });
    }

    /// Appends `; name=value` for every parameter (RFC 2231 where needed) to `out`.
    pub fn encode_into(&self, out: &mut String) -> Result<(), crate::header::EncodeError> {
        for p in &self.list {
            out.push_str("; ");
            out.push_str(&crate::header::encode_param(&p.name, &p.value)?);
        }
        Ok(())
    }

    /// Parses `;`-separated parameters from the cursor position to the end.
    pub(crate) fn parse_from(
        c: &mut Cursor<'a>,
        defects: &mut Vec<Defect>,
        mut need_semi: bool,
    ) -> Self {
        let raws = parse_raw(c, defects, &mut need_semi);
        assemble(raws, defects)
    }

    /// Parses a parameter list (`; a=b; c="d"`), e.g. the tail of a field after its first
    /// token. Offsets in the defects are relative to `value`.
    pub fn parse(value: &'a [u8]) -> (Params<'a>, Vec<Defect>) {
        let mut defects = Vec::new();
        let mut c = Cursor::new(value);
        let p = Params::parse_from(&mut c, &mut defects, false);
        (p, defects)
    }
}

#[derive(Debug)]
struct RawParam<'a> {
    name: &'a [u8],
    section: Option<u32>,
    star: bool,
    value: Cow<'a, [u8]>,
    at: usize,
}

fn skip_to_semicolon(c: &mut Cursor<'_>, defects: &mut Vec<Defect>) {
    while let Some(b) = c.peek() {
        match b {
            b';' => return,
            b'"' => {
                c.quoted(defects);
            }
            b'(' => {
                c.comment(defects);
            }
            _ => c.bump(),
        }
    }
}

fn split_name(name: &[u8]) -> (&[u8], Option<u32>, bool) {
    let Some(star) = name.iter().position(|&b| b == b'*') else {
        return (name, None, false);
    };
    let base = name.get(..star).unwrap_or_default();
    let rest = name.get(star + 1..).unwrap_or_default();
    if rest.is_empty() {
        return (base, None, true);
    }
    let (digits, ext) = match rest.strip_suffix(b"*") {
        Some(d) => (d, true),
        None => (rest, false),
    };
    if digits.is_empty() || digits.len() > 4 || !digits.iter().all(u8::is_ascii_digit) {
        return (name, None, false);
    }
    let n = digits
        .iter()
        .fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
    (base, Some(n), ext)
}

fn parse_raw<'a>(
    c: &mut Cursor<'a>,
    defects: &mut Vec<Defect>,
    need_semi: &mut bool,
) -> Vec<RawParam<'a>> {
    let mut raws = Vec::new();
    loop {
        c.skip_cfws(defects);
        match c.peek() {
            None => break,
            Some(b';') => {
                c.bump();
                *need_semi = false;
                continue;
            }
            _ => {}
        }
        let at = c.pos;
        if *need_semi {
            defects.push(Defect::at(HeaderDefect::MissingSemicolon, at));
        }
        *need_semi = true;
        let name = c.take_while(is_token_char);
        if name.is_empty() {
            defects.push(Defect::at(HeaderDefect::TrailingGarbage, at));
            c.bump();
            skip_to_semicolon(c, defects);
            continue;
        }
        c.skip_cfws(defects);
        if c.peek() != Some(b'=') {
            defects.push(Defect::at(HeaderDefect::ParamWithoutValue, at));
            skip_to_semicolon(c, defects);
            continue;
        }
        c.bump();
        c.skip_cfws(defects);
        let value = if c.peek() == Some(b'"') {
            c.quoted(defects)
        } else {
            let vstart = c.pos;
            let tok = c.take_while(is_token_char);
            let after_tok = c.pos;
            c.skip_cfws(defects);
            let clean_end = c.at_end() || c.peek() == Some(b';') || {
                // `a=b c=d`: a missing semicolon, not a value with a space.
                let mut look = c.clone();
                !look.take_while(is_token_char).is_empty() && {
                    look.skip_ws();
                    look.peek() == Some(b'=')
                }
            };
            if clean_end && !tok.is_empty() {
                Cow::Borrowed(tok)
            } else {
                // Lenient: an unquoted value with spaces or specials, up to the next `;`.
                c.pos = after_tok;
                while let Some(b) = c.peek() {
                    if b == b';' {
                        break;
                    }
                    c.bump();
                }
                let mut v = c.s.get(vstart..c.pos).unwrap_or_default();
                while let Some((&last, head)) = v.split_last() {
                    if !is_wsp(last) {
                        break;
                    }
                    v = head;
                }
                defects.push(Defect::at(HeaderDefect::UnquotedSpecialInParam, vstart));
                Cow::Borrowed(v)
            }
        };
        if raws.len() >= MAX_PARAMS {
            defects.push(Defect::at(HeaderDefect::TooManyParams, at));
            break;
        }
        let (base, section, star) = split_name(name);
        raws.push(RawParam {
            name: base,
            section,
            star,
            value,
            at,
        });
    }
    raws
}

fn percent_decode(v: &[u8], out: &mut Vec<u8>, at: usize, defects: &mut Vec<Defect>) {
    let mut i = 0;
    let mut bad = false;
    while let Some(&b) = v.get(i) {
        if b == b'%' {
            let h = v.get(i + 1).and_then(|&x| (x as char).to_digit(16));
            let l = v.get(i + 2).and_then(|&x| (x as char).to_digit(16));
            if let (Some(h), Some(l)) = (h, l) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
            bad = true;
        }
        out.push(b);
        i += 1;
    }
    if bad {
        defects.push(Defect::at(HeaderDefect::InvalidExtendedValue, at));
    }
}

fn name_str(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

fn plain_param(r: RawParam<'_>) -> Param<'_> {
    let value = match &r.value {
        Cow::Borrowed(b) => decode_unstructured(b),
        Cow::Owned(v) => Cow::Owned(decode_unstructured(v).into_owned()),
    };
    Param {
        name: name_str(r.name),
        value,
        raw: r.value,
        extended: false,
        charset: None,
        language: None,
    }
}

fn assemble<'a>(raws: Vec<RawParam<'a>>, defects: &mut Vec<Defect>) -> Params<'a> {
    let mut list: Vec<Param<'a>> = Vec::with_capacity(raws.len());
    let mut slots: Vec<Option<RawParam<'a>>> = raws.into_iter().map(Some).collect();
    for i in 0..slots.len() {
        let Some(first) = slots.get_mut(i).and_then(Option::take) else {
            continue;
        };
        if first.section.is_none() && !first.star {
            if list
                .iter()
                .any(|p| !p.extended && p.name.as_bytes().eq_ignore_ascii_case(first.name))
            {
                defects.push(Defect::at(HeaderDefect::DuplicateParam, first.at));
                continue;
            }
            list.push(plain_param(first));
            continue;
        }
        // RFC 2231: gather the sections of this name.
        let mut group = vec![first];
        if group.first().is_some_and(|f| f.section.is_some()) {
            for slot in slots.iter_mut().skip(i + 1) {
                if slot.as_ref().is_some_and(|r| {
                    r.section.is_some() && r.name.eq_ignore_ascii_case(group[0].name)
                }) {
                    if let Some(r) = slot.take() {
                        group.push(r);
                    }
                }
            }
        }
        group.sort_by_key(|r| r.section.unwrap_or(0));
        let at = group[0].at;
        let name = group[0].name;
        if list
            .iter()
            .any(|p| p.extended && p.name.as_bytes().eq_ignore_ascii_case(name))
        {
            defects.push(Defect::at(HeaderDefect::DuplicateParam, at));
            continue;
        }
        let mut bytes: Vec<u8> = Vec::new();
        let mut charset: Option<Cow<'a, str>> = None;
        let mut language: Option<Cow<'a, str>> = None;
        let mut expected = 0u32;
        let mut prev: Option<u32> = None;
        let mut borrowed_single: Option<Cow<'a, [u8]>> = None;
        let single = group.len() == 1;
        for (k, r) in group.into_iter().enumerate() {
            let sec = r.section.unwrap_or(0);
            if prev == Some(sec) {
                defects.push(Defect::at(HeaderDefect::DuplicateParamSection, r.at));
                continue;
            }
            if sec != expected {
                defects.push(Defect::at(HeaderDefect::MissingParamSection, r.at));
            }
            prev = Some(sec);
            expected = sec.saturating_add(1);
            let mut v: &[u8] = &r.value;
            if k == 0 && r.star {
                // charset'language'value
                let mut parts = v.splitn(3, |&b| b == b'\'');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(cs), Some(lang), Some(rest)) => {
                        if !cs.is_empty() {
                            charset = Some(match &r.value {
                                Cow::Borrowed(b) => {
                                    String::from_utf8_lossy(b.get(..cs.len()).unwrap_or_default())
                                }
                                Cow::Owned(_) => {
                                    Cow::Owned(String::from_utf8_lossy(cs).into_owned())
                                }
                            });
                        }
                        if !lang.is_empty() {
                            language = Some(Cow::Owned(String::from_utf8_lossy(lang).into_owned()));
                        }
                        v = rest;
                    }
                    _ => defects.push(Defect::at(HeaderDefect::InvalidExtendedValue, r.at)),
                }
            }
            if r.star {
                if single && !v.contains(&b'%') {
                    if let Cow::Borrowed(b) = &r.value {
                        let off = b.len() - v.len();
                        borrowed_single = Some(Cow::Borrowed(b.get(off..).unwrap_or_default()));
                    }
                }
                percent_decode(v, &mut bytes, r.at, defects);
            } else {
                if single {
                    if let Cow::Borrowed(b) = &r.value {
                        borrowed_single = Some(Cow::Borrowed(b));
                    }
                }
                bytes.extend_from_slice(v);
            }
        }
        let raw: Cow<'a, [u8]> = borrowed_single.unwrap_or(Cow::Owned(bytes));
        let value = match &charset {
            Some(cs) => {
                let (text, defect) = match &raw {
                    Cow::Borrowed(b) => crate::charset::decode_text(Some(cs), b),
                    Cow::Owned(v) => {
                        let (t, d) = crate::charset::decode_text(Some(cs), v);
                        (Cow::Owned(t.into_owned()), d)
                    }
                };
                if defect == Some(crate::charset::CharsetDefect::UnknownCharset) {
                    defects.push(Defect::at(HeaderDefect::UnknownCharset, at));
                }
                text
            }
            None => utf8_cow(raw.clone()),
        };
        list.push(Param {
            name: name_str(name),
            value,
            raw,
            extended: true,
            charset,
            language,
        });
    }
    Params { list }
}

/// A parsed `Content-Type` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType<'a> {
    mime_type: Cow<'a, str>,
    subtype: Cow<'a, str>,
    params: Params<'a>,
    defects: Vec<Defect>,
}

impl<'a> ContentType<'a> {
    /// Parses a `Content-Type` value (the raw field value, folding allowed). Never fails:
    /// a value that is not `type/subtype` gives `text/plain` (RFC 2045) with
    /// [`HeaderDefect::InvalidContentType`]; its parameters are still read.
    pub fn parse(value: &'a [u8]) -> ContentType<'a> {
        let mut defects = Vec::new();
        let mut c = Cursor::new(value);
        c.skip_cfws(&mut defects);
        let ty = c.take_while(is_token_char);
        c.skip_cfws(&mut defects);
        let mut sub: &[u8] = b"";
        if c.peek() == Some(b'/') {
            c.bump();
            c.skip_cfws(&mut defects);
            sub = c.take_while(is_token_char);
            c.skip_cfws(&mut defects);
        }
        let valid = !ty.is_empty() && !sub.is_empty();
        if !valid {
            defects.push(Defect::at(HeaderDefect::InvalidContentType, 0));
        }
        let mut need_semi = false;
        if !c.at_end() && c.peek() != Some(b';') {
            if valid && c.peek().is_some_and(is_token_char) {
                // `text/plain charset=x`: a missing semicolon.
                need_semi = true;
            } else {
                if valid {
                    defects.push(Defect::at(HeaderDefect::TrailingGarbage, c.pos));
                }
                skip_to_semicolon(&mut c, &mut defects);
            }
        }
        let params = Params::parse_from(&mut c, &mut defects, need_semi);
        let (mime_type, subtype) = if valid {
            (
                lower(String::from_utf8_lossy(ty)),
                lower(String::from_utf8_lossy(sub)),
            )
        } else {
            (Cow::Borrowed("text"), Cow::Borrowed("plain"))
        };
        ContentType {
            mime_type,
            subtype,
            params,
            defects,
        }
    }

    /// A content type with no parameters (`mime_type` and `subtype` are lower-cased).
    pub fn new(mime_type: &str, subtype: &str) -> ContentType<'static> {
        ContentType {
            mime_type: lower(Cow::Owned(mime_type.to_owned())),
            subtype: lower(Cow::Owned(subtype.to_owned())),
            params: Params::default(),
            defects: Vec::new(),
        }
    }

    /// This content type with parameter `name` set to `value`.
    pub fn with_param(
        mut self,
        name: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> Self {
        self.params.set(name, value);
        self
    }

    /// The field value to write: `type/subtype; param=value...` (parameters RFC 2231
    /// encoded where needed; fold it with [`fold`](crate::header::fold)).
    pub fn encode(&self) -> Result<String, crate::header::EncodeError> {
        let mut out = self.essence();
        if !self.mime_type.bytes().all(is_token_char) || !self.subtype.bytes().all(is_token_char) {
            return Err(crate::header::EncodeError::InvalidParamName);
        }
        self.params.encode_into(&mut out)?;
        Ok(out)
    }

    /// `text/plain; charset=us-ascii`, the RFC 2045 default.
    pub fn text_plain() -> ContentType<'static> {
        ContentType {
            mime_type: Cow::Borrowed("text"),
            subtype: Cow::Borrowed("plain"),
            params: Params {
                list: vec![Param {
                    name: Cow::Borrowed("charset"),
                    value: Cow::Borrowed("us-ascii"),
                    raw: Cow::Borrowed(b"us-ascii"),
                    extended: false,
                    charset: None,
                    language: None,
                }],
            },
            defects: Vec::new(),
        }
    }

    /// `message/rfc822`, the default inside `multipart/digest`.
    pub fn message_rfc822() -> ContentType<'static> {
        ContentType {
            mime_type: Cow::Borrowed("message"),
            subtype: Cow::Borrowed("rfc822"),
            params: Params::default(),
            defects: Vec::new(),
        }
    }

    /// The type, lower case (`text`).
    pub fn mime_type(&self) -> &str {
        &self.mime_type
    }

    /// The subtype, lower case (`plain`).
    pub fn subtype(&self) -> &str {
        &self.subtype
    }

    /// `type/subtype`, lower case.
    pub fn essence(&self) -> String {
        format!("{}/{}", self.mime_type, self.subtype)
    }

    /// Whether this is `multipart/*`.
    pub fn is_multipart(&self) -> bool {
        self.mime_type == "multipart"
    }

    /// Whether this is `message/rfc822` or `message/global` (an encapsulated message).
    pub fn is_message(&self) -> bool {
        self.mime_type == "message" && (self.subtype == "rfc822" || self.subtype == "global")
    }

    /// Whether this is `text/*`.
    pub fn is_text(&self) -> bool {
        self.mime_type == "text"
    }

    /// A parameter's decoded value (RFC 2231 joined and decoded; RFC 2047 tolerated).
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params.value(name)
    }

    /// All parameters.
    pub fn params(&self) -> &Params<'a> {
        &self.params
    }

    /// The `boundary` parameter as bytes (never RFC 2047 decoded; trailing whitespace
    /// removed, which RFC 2046 does not allow in a boundary anyway).
    pub fn boundary(&self) -> Option<Cow<'a, [u8]>> {
        let p = self.params.get("boundary")?;
        let mut raw = p.raw.clone();
        let keep = raw.iter().rposition(|&b| !is_wsp(b)).map_or(0, |i| i + 1);
        match &mut raw {
            Cow::Borrowed(b) => *b = b.get(..keep).unwrap_or_default(),
            Cow::Owned(v) => v.truncate(keep),
        }
        if raw.is_empty() {
            return None;
        }
        Some(raw)
    }

    /// The `charset` parameter as declared (not RFC 2047 decoded).
    pub fn charset(&self) -> Option<Cow<'a, str>> {
        let p = self.params.get("charset")?;
        Some(utf8_cow(p.raw.clone()))
    }

    /// The `name` parameter (the old way to give a file name), decoded.
    pub fn name(&self) -> Option<Cow<'a, str>> {
        self.params.value("name")
    }

    /// What was wrong with the value (offsets relative to it).
    pub fn defects(&self) -> &[Defect] {
        &self.defects
    }
}

/// The disposition type of a `Content-Disposition` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition<'a> {
    /// `inline`.
    Inline,
    /// `attachment`.
    Attachment,
    /// Any other type, lower case (`form-data`, or empty when missing).
    Other(Cow<'a, str>),
}

impl Disposition<'_> {
    /// The disposition type, lower case.
    pub fn as_str(&self) -> &str {
        match self {
            Disposition::Inline => "inline",
            Disposition::Attachment => "attachment",
            Disposition::Other(s) => s,
        }
    }
}

/// A parsed `Content-Disposition` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentDisposition<'a> {
    kind: Disposition<'a>,
    params: Params<'a>,
    defects: Vec<Defect>,
}

impl<'a> ContentDisposition<'a> {
    /// A disposition with no parameters.
    pub fn new(kind: Disposition<'a>) -> Self {
        ContentDisposition {
            kind,
            params: Params::default(),
            defects: Vec::new(),
        }
    }

    /// This disposition with parameter `name` set to `value` (e.g. `filename`).
    pub fn with_param(
        mut self,
        name: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> Self {
        self.params.set(name, value);
        self
    }

    /// The field value to write: `attachment; filename*=utf-8''...`.
    pub fn encode(&self) -> Result<String, crate::header::EncodeError> {
        let mut out = self.kind.as_str().to_owned();
        if out.is_empty() || !out.bytes().all(is_token_char) {
            return Err(crate::header::EncodeError::InvalidParamName);
        }
        self.params.encode_into(&mut out)?;
        Ok(out)
    }

    /// Parses a `Content-Disposition` value. Never fails.
    pub fn parse(value: &'a [u8]) -> ContentDisposition<'a> {
        let mut defects = Vec::new();
        let mut c = Cursor::new(value);
        c.skip_cfws(&mut defects);
        let ty = c.take_while(is_token_char);
        c.skip_cfws(&mut defects);
        if ty.is_empty() {
            defects.push(Defect::at(HeaderDefect::InvalidDisposition, 0));
        }
        if !c.at_end() && c.peek() != Some(b';') {
            // `attachment filename=x` is a missing semicolon; anything else is junk.
            if c.peek().is_some_and(is_token_char) && !ty.is_empty() {
                return Self::finish(ty, Params::parse_from(&mut c, &mut defects, true), defects);
            }
            defects.push(Defect::at(HeaderDefect::TrailingGarbage, c.pos));
            skip_to_semicolon(&mut c, &mut defects);
        }
        let params = Params::parse_from(&mut c, &mut defects, false);
        Self::finish(ty, params, defects)
    }

    fn finish(ty: &'a [u8], params: Params<'a>, defects: Vec<Defect>) -> Self {
        let kind = if ty.eq_ignore_ascii_case(b"inline") {
            Disposition::Inline
        } else if ty.eq_ignore_ascii_case(b"attachment") {
            Disposition::Attachment
        } else {
            Disposition::Other(lower(String::from_utf8_lossy(ty)))
        };
        ContentDisposition {
            kind,
            params,
            defects,
        }
    }

    /// The disposition type.
    pub fn kind(&self) -> &Disposition<'a> {
        &self.kind
    }

    /// The `filename` parameter, decoded (RFC 2231 or RFC 2047), surrounding whitespace
    /// removed.
    pub fn filename(&self) -> Option<Cow<'a, str>> {
        self.params.value("filename").map(trim_cow)
    }

    /// A parameter's decoded value.
    pub fn param(&self, name: &str) -> Option<Cow<'a, str>> {
        self.params.value(name)
    }

    /// All parameters.
    pub fn params(&self) -> &Params<'a> {
        &self.params
    }

    /// What was wrong with the value (offsets relative to it).
    pub fn defects(&self) -> &[Defect] {
        &self.defects
    }
}

fn trim_cow(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) => {
            if o.trim().len() == o.len() {
                Cow::Owned(o)
            } else {
                Cow::Owned(o.trim().to_owned())
            }
        }
    }
}

/// The file name of a part as mail clients find it: the `Content-Disposition` `filename`,
/// else the `Content-Type` `name`.
pub fn filename_of<'a>(
    disposition: Option<&ContentDisposition<'a>>,
    content_type: Option<&ContentType<'a>>,
) -> Option<Cow<'a, str>> {
    disposition
        .and_then(ContentDisposition::filename)
        .or_else(|| content_type.and_then(ContentType::name).map(trim_cow))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_content_type() {
        let ct =
            ContentType::parse(b" Multipart/Mixed;\r\n boundary=\"0000000000006dd7bc0627990dc1\"");
        assert_eq!(ct.mime_type(), "multipart");
        assert_eq!(ct.subtype(), "mixed");
        assert!(ct.is_multipart());
        assert_eq!(
            ct.boundary().as_deref(),
            Some(&b"0000000000006dd7bc0627990dc1"[..])
        );
        assert!(ct.defects().is_empty());

        let ct = ContentType::parse(b"text/plain; charset=UTF-8; format=flowed");
        assert_eq!(ct.charset().as_deref(), Some("UTF-8"));
        assert_eq!(ct.param("FORMAT").as_deref(), Some("flowed"));

        let ct = ContentType::parse(b"text/plain; charset=us-ascii (Plain text)");
        assert_eq!(ct.charset().as_deref(), Some("us-ascii"));
        assert!(ct.defects().is_empty());
    }

    #[test]
    fn invalid_content_type() {
        for v in [&b"text"[..], b"", b"/plain", b"text/", b"(c)"] {
            let ct = ContentType::parse(v);
            assert_eq!((ct.mime_type(), ct.subtype()), ("text", "plain"), "{v:?}");
            assert!(!ct.defects().is_empty());
        }
        let ct = ContentType::parse(b"text; charset=koi8-r");
        assert_eq!(ct.charset().as_deref(), Some("koi8-r"));
    }

    #[test]
    fn rfc2231_examples() {
        // RFC 2231 section 3 and 4.
        let ct = ContentType::parse(
            b"message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
        );
        assert_eq!(
            ct.param("url").as_deref(),
            Some("ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
        );
        let ct = ContentType::parse(
            b"application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
        );
        let p = ct.params().get("title").unwrap();
        assert_eq!(p.value, "This is ***fun***");
        assert_eq!(p.charset.as_deref(), Some("us-ascii"));
        assert_eq!(p.language.as_deref(), Some("en-us"));
        let ct = ContentType::parse(
            b"application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20\r\n title*2=\"isn't it!\"",
        );
        assert_eq!(
            ct.param("title").as_deref(),
            Some("This is even more ***fun*** isn't it!")
        );
        // The RFC's own example has no semicolons between the sections.
        assert!(
            ct.defects()
                .iter()
                .all(|d| d.kind == HeaderDefect::MissingSemicolon.into()),
            "{:?}",
            ct.defects()
        );
    }

    #[test]
    fn rfc2231_bytes_joined_then_decoded() {
        // "é" (C3 A9) split across sections; out of order.
        let cd = ContentDisposition::parse(
            b"attachment; filename*1*=%A9.txt; filename*0*=utf-8''caf%C3",
        );
        assert_eq!(cd.kind(), &Disposition::Attachment);
        assert_eq!(cd.filename().as_deref(), Some("café.txt"));
        let cd = ContentDisposition::parse(b"attachment; filename*=iso-8859-1''caf%E9.txt");
        assert_eq!(cd.filename().as_deref(), Some("café.txt"));
        // Both forms: the RFC 2231 one wins.
        let cd = ContentDisposition::parse(
            b"attachment; filename=\"cafe.txt\"; filename*=utf-8''caf%C3%A9.txt",
        );
        assert_eq!(cd.filename().as_deref(), Some("café.txt"));
        // Gaps and duplicate sections are defects.
        let cd = ContentDisposition::parse(b"inline; filename*0=a; filename*2=c; filename*0=x");
        assert_eq!(cd.filename().as_deref(), Some("ac"));
        let kinds: Vec<_> = cd.defects().iter().map(|d| d.kind.clone()).collect();
        assert!(kinds.contains(&HeaderDefect::MissingParamSection.into()));
        assert!(kinds.contains(&HeaderDefect::DuplicateParamSection.into()));
    }

    #[test]
    fn build_and_encode() {
        let ct = ContentType::new("Text", "Plain")
            .with_param("charset", "utf-8")
            .with_param("name", "informe año.txt");
        let v = ct.encode().unwrap();
        assert_eq!(
            v,
            "text/plain; charset=utf-8; name*=utf-8''informe%20a%C3%B1o.txt"
        );
        let back = ContentType::parse(v.as_bytes());
        assert_eq!(back.essence(), "text/plain");
        assert_eq!(back.name().as_deref(), Some("informe año.txt"));
        let cd = ContentDisposition::new(Disposition::Attachment).with_param("filename", "a b.gif");
        assert_eq!(cd.encode().unwrap(), "attachment; filename=\"a b.gif\"");
        assert!(ContentType::new("text", "pl ain").encode().is_err());
        assert!(
            ContentType::new("text", "plain")
                .with_param("x", "a\r\nb")
                .encode()
                .is_err()
        );
    }

    #[test]
    fn lenient_values() {
        let cd = ContentDisposition::parse(b"attachment; filename=\"=?UTF-8?B?w6kudHh0?=\"");
        assert_eq!(cd.filename().as_deref(), Some("é.txt"));
        let cd = ContentDisposition::parse(b"attachment; filename==?UTF-8?B?w6kudHh0?=");
        assert_eq!(cd.filename().as_deref(), Some("é.txt"));
        let cd = ContentDisposition::parse(b"attachment; filename=my file.txt; size=3");
        assert_eq!(cd.filename().as_deref(), Some("my file.txt"));
        assert_eq!(cd.param("size").as_deref(), Some("3"));
        let ct = ContentType::parse(b"text/plain charset=utf-8 format=flowed");
        assert_eq!(ct.charset().as_deref(), Some("utf-8"));
        assert_eq!(ct.param("format").as_deref(), Some("flowed"));
        let ct = ContentType::parse(b"text/plain; charset=a; CHARSET=b; junk; ;;");
        assert_eq!(ct.charset().as_deref(), Some("a"));
        let kinds: Vec<_> = ct.defects().iter().map(|d| d.kind.clone()).collect();
        assert!(kinds.contains(&HeaderDefect::DuplicateParam.into()));
        assert!(kinds.contains(&HeaderDefect::ParamWithoutValue.into()));
        let ct = ContentType::parse(b"image/gif; name=\"noot-noot.gif\"");
        assert_eq!(
            filename_of(None, Some(&ct)).as_deref(),
            Some("noot-noot.gif")
        );
        let cd = ContentDisposition::parse(b"attachment; filename=\"noot-noot.gif\"");
        assert_eq!(
            filename_of(Some(&cd), Some(&ct)).as_deref(),
            Some("noot-noot.gif")
        );
        let cd = ContentDisposition::parse(b"");
        assert_eq!(cd.kind(), &Disposition::Other(Cow::Borrowed("")));
    }
}
