//! DKIM tag-lists (RFC 6376 3.2), shared by signatures and key records.

/// One `tag=value` with the value's byte range in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag<'a> {
    pub(crate) name: &'a str,
    /// Value with leading/trailing FWS removed (inner FWS kept).
    pub(crate) value: &'a str,
    /// Byte offset where the value begins (after '=' and FWS).
    pub(crate) value_start: usize,
    /// Byte offset just past the value's last non-FWS byte.
    pub(crate) value_end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TagError {
    Syntax(usize),
    Duplicate(String),
}

fn is_fws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Parse a tag-list. Empty segments (e.g. a trailing `;`) are allowed.
pub(crate) fn parse_tags(s: &str, max_tags: usize) -> Result<Vec<Tag<'_>>, TagError> {
    let b = s.as_bytes();
    let mut out: Vec<Tag<'_>> = Vec::new();
    let mut pos = 0;
    while pos <= b.len() {
        let end = memchr::memchr(b';', &b[pos..]).map_or(b.len(), |e| pos + e);
        let mut i = pos;
        while i < end && is_fws(b[i]) {
            i += 1;
        }
        if i < end {
            let name_start = i;
            if !b[i].is_ascii_alphabetic() {
                return Err(TagError::Syntax(i));
            }
            while i < end && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let name = &s[name_start..i];
            while i < end && is_fws(b[i]) {
                i += 1;
            }
            if i >= end || b[i] != b'=' {
                return Err(TagError::Syntax(i));
            }
            i += 1;
            while i < end && is_fws(b[i]) {
                i += 1;
            }
            let vstart = i;
            let mut vend = end;
            while vend > vstart && is_fws(b[vend - 1]) {
                vend -= 1;
            }
            if out.iter().any(|t| t.name == name) {
                return Err(TagError::Duplicate(name.to_string()));
            }
            if out.len() >= max_tags {
                return Err(TagError::Syntax(name_start));
            }
            out.push(Tag {
                name,
                value: &s[vstart..vend],
                value_start: vstart,
                value_end: vend,
            });
        }
        pos = end + 1;
    }
    Ok(out)
}

/// Remove all FWS from a value (base64 in `b=`, `bh=`, `p=`).
pub(crate) fn strip_fws(v: &str) -> String {
    v.bytes().filter(|c| !is_fws(*c)).map(char::from).collect()
}

/// Split a colon-separated list, trimming FWS around items.
pub(crate) fn colon_list(v: &str) -> Vec<String> {
    v.split(':')
        .map(|x| x.trim_matches([' ', '\t', '\r', '\n']))
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_lists() {
        let t = parse_tags(" v=1; a = rsa-sha256 ;\r\n b=ab\r\n cd ;", 64).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[1].name, "a");
        assert_eq!(t[1].value, "rsa-sha256");
        assert_eq!(t[2].value, "ab\r\n cd");
        assert_eq!(strip_fws(t[2].value), "abcd");
        assert!(matches!(
            parse_tags("a=1; a=2", 64),
            Err(TagError::Duplicate(_))
        ));
        assert!(matches!(
            parse_tags("a=1; =2", 64),
            Err(TagError::Syntax(5))
        ));
        assert!(matches!(parse_tags("a=1; b", 64), Err(TagError::Syntax(_))));
        assert_eq!(parse_tags("", 64).unwrap().len(), 0);
        assert_eq!(
            colon_list("from : to:\r\n subject"),
            vec!["from", "to", "subject"]
        );
    }
}
