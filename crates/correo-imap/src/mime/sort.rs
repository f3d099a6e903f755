//! SORT and THREAD (RFC 5256) computed from [`correo_mime`]: base-subject extraction,
//! sent dates in UTC, the first address of From/To/Cc, and the `ORDEREDSUBJECT` and
//! `REFERENCES` threading algorithms.
//!
//! Each message is reduced once to its [`SortKeys`]; [`sort`] and [`thread`] then work on
//! the keys alone.
//!
//! ```
//! use correo_imap::mime::sort::{SortKeys, base_subject, sort, thread};
//! use correo_imap::server::{SortCriterion, SortKey, ThreadAlgorithm};
//! use correo_mime::message::Message;
//!
//! assert_eq!(base_subject("Re: [lab] Fwd: Hola (fwd)"), ("HOLA".to_owned(), true));
//! let a = Message::parse(b"Subject: b\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\n");
//! let b = Message::parse(b"Subject: Re: a\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\n");
//! let keys = vec![
//!     SortKeys::new(1, 1, 10, "01-Dec-2026 10:00:00 +0000", &a),
//!     SortKeys::new(2, 2, 20, "01-Dec-2026 10:00:00 +0000", &b),
//! ];
//! let by_subject = [SortCriterion { reverse: false, key: SortKey::Subject }];
//! assert_eq!(sort(&by_subject, &keys), vec![2, 1]);
//! let threads = thread(ThreadAlgorithm::OrderedSubject, &keys);
//! assert_eq!(threads.len(), 2);
//! assert_eq!(threads[0].id, Some(2)); // the earlier sent date first
//! ```

use std::cmp::Ordering;
use std::collections::HashMap;

use correo_mime::header::{Address, DateTime, HeaderBlock, parse_msg_ids};
use correo_mime::message::Message;

use crate::server::{SortCriterion, SortKey, ThreadAlgorithm};
use crate::types::Thread;

/// Threads deeper than this are flattened at this depth (so that encoding and dropping
/// the nested [`Thread`] values stay shallow).
pub const MAX_THREAD_DEPTH: usize = 64;

/// Steps a parent-chain walk may take when checking for loops; longer chains are
/// treated as loops (the link is not made).
const MAX_WALK: usize = 10_000;

/// What SORT and THREAD need of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKeys {
    /// The number to answer with (sequence number, or UID for UID SORT/THREAD).
    pub id: u32,
    /// Sequence number (ties are broken by it).
    pub seq: u32,
    /// RFC822.SIZE.
    pub size: u64,
    /// Internal date, seconds since the epoch (UTC).
    pub arrival: i64,
    /// Sent date (`Date:` in UTC, else the internal date).
    pub date: i64,
    /// Base subject, ASCII upper-cased (RFC 5256 2.1, compared as `i;ascii-casemap`).
    pub subject: String,
    /// Whether the subject had a reply/forward marker removed.
    pub subject_is_reply: bool,
    /// Local part of the first From mailbox, upper-cased (empty when none).
    pub from: String,
    /// Local part of the first To mailbox, upper-cased.
    pub to: String,
    /// Local part of the first Cc mailbox, upper-cased.
    pub cc: String,
    /// `Message-ID`, without brackets.
    pub message_id: Option<String>,
    /// `References` ids, or the first `In-Reply-To` id when there are none.
    pub references: Vec<String>,
}

impl SortKeys {
    /// The keys of one message. `internal_date` is as IMAP writes it
    /// (`22-Nov-2026 23:20:45 +0000`).
    pub fn new(id: u32, seq: u32, size: u64, internal_date: &str, message: &Message<'_>) -> Self {
        Self::from_header(id, seq, size, internal_date, message.header())
    }

    /// The keys from a header block alone (SORT and THREAD never need the body).
    pub fn from_header(
        id: u32,
        seq: u32,
        size: u64,
        internal_date: &str,
        h: &HeaderBlock<'_>,
    ) -> Self {
        let arrival = parse_internal_date(internal_date).unwrap_or(0);
        let date = h
            .date()
            .and_then(Result::ok)
            .map_or(arrival, |d| d.to_unix());
        let (subject, subject_is_reply) = h
            .get("subject")
            .map(|f| base_subject(&f.text()))
            .unwrap_or_default();
        let first = |name: &str| -> String {
            h.addresses(name)
                .and_then(|l| {
                    l.addresses.into_iter().find_map(|a| match a {
                        Address::Mailbox(m) => Some(m.local.to_ascii_uppercase()),
                        Address::Group(g) => g
                            .members
                            .into_iter()
                            .next()
                            .map(|m| m.local.to_ascii_uppercase()),
                    })
                })
                .unwrap_or_default()
        };
        let message_id = h.message_id().map(std::borrow::Cow::into_owned);
        let mut references: Vec<String> = h
            .get("references")
            .map(|f| {
                parse_msg_ids(f.value)
                    .0
                    .into_iter()
                    .take(1000)
                    .map(std::borrow::Cow::into_owned)
                    .collect()
            })
            .unwrap_or_default();
        if references.is_empty()
            && let Some(f) = h.get("in-reply-to")
        {
            references.extend(
                parse_msg_ids(f.value)
                    .0
                    .into_iter()
                    .next()
                    .map(std::borrow::Cow::into_owned),
            );
        }
        SortKeys {
            id,
            seq,
            size,
            arrival,
            date,
            subject,
            subject_is_reply,
            from: first("from"),
            to: first("to"),
            cc: first("cc"),
            message_id,
            references,
        }
    }
}

/// Parses an IMAP date-time (`22-Nov-2026 23:20:45 +0000`, quotes allowed) into seconds
/// since the epoch (UTC).
#[allow(clippy::many_single_char_names)]
pub fn parse_internal_date(s: &str) -> Option<i64> {
    let s = s.trim().trim_matches('"').trim();
    let (date, rest) = s.split_once(' ')?;
    let (y, m, d) = super::search::parse_date(date.as_bytes())?;
    let mut it = rest.split_whitespace();
    let time = it.next()?;
    let zone = it.next().unwrap_or("+0000");
    let mut t = time.split(':');
    let hour: u8 = t.next()?.parse().ok()?;
    let minute: u8 = t.next()?.parse().ok()?;
    let second: u8 = t.next().unwrap_or("0").parse().ok()?;
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, zone.get(1..)?),
        b'-' => (-1, zone.get(1..)?),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let zh: i32 = digits.get(..2)?.parse().ok()?;
    let zm: i32 = digits.get(2..)?.parse().ok()?;
    let dt = DateTime {
        year: y,
        month: m,
        day: d,
        hour,
        minute,
        second,
        offset_minutes: Some(sign * (zh * 60 + zm)),
    };
    Some(dt.to_unix())
}

fn strip_ci<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// `subj-blob = "[" *BLOBCHAR "]" *WSP`: the rest after it.
fn strip_blob(s: &str) -> Option<&str> {
    let rest = s.strip_prefix('[')?;
    let end = rest.find([']', '['])?;
    if rest.as_bytes().get(end) != Some(&b']') {
        return None;
    }
    Some(rest.get(end + 1..)?.trim_start_matches(' '))
}

/// `*subj-blob subj-refwd`, `subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"`.
fn strip_refwd(s: &str) -> Option<&str> {
    let mut p = s;
    while let Some(r) = strip_blob(p) {
        p = r;
    }
    let p = strip_ci(p, "re")
        .or_else(|| strip_ci(p, "fwd"))
        .or_else(|| strip_ci(p, "fw"))?;
    let mut p = p.trim_start_matches(' ');
    if let Some(r) = strip_blob(p) {
        p = r;
    }
    p.strip_prefix(':')
}

/// The base subject of a (decoded) subject (RFC 5256 2.1), ASCII upper-cased, and
/// whether a reply/forward marker was removed.
pub fn base_subject(subject: &str) -> (String, bool) {
    // (1) Whitespace runs (folding included) become one space.
    let mut norm = String::with_capacity(subject.len());
    let mut space = false;
    for c in subject.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space && !norm.is_empty() {
                norm.push(' ');
            }
            space = false;
            norm.push(c);
        }
    }
    let mut s: &str = &norm;
    let mut reply = false;
    let mut owned;
    loop {
        // (2) Trailing "(fwd)" and spaces.
        loop {
            let t = s.trim_end_matches(' ');
            let n = t.len();
            if n >= 5
                && t.is_char_boundary(n - 5)
                && t.get(n - 5..)
                    .is_some_and(|x| x.eq_ignore_ascii_case("(fwd)"))
            {
                s = t.get(..n - 5).unwrap_or_default();
                reply = true;
                continue;
            }
            s = t;
            break;
        }
        // (3)-(5) Leaders and blobs.
        loop {
            let before = s.len();
            loop {
                let t = s.trim_start_matches(' ');
                if let Some(r) = strip_refwd(t) {
                    s = r;
                    reply = true;
                    continue;
                }
                s = t;
                break;
            }
            if let Some(r) = strip_blob(s)
                && !r.trim().is_empty()
            {
                s = r;
            }
            if s.len() == before {
                break;
            }
        }
        // (6) "[fwd: ... ]".
        if let Some(inner) = strip_ci(s, "[fwd:")
            && let Some(inner) = inner.strip_suffix(']')
        {
            owned = inner.to_owned();
            s = &owned;
            reply = true;
            continue;
        }
        break;
    }
    (s.to_ascii_uppercase(), reply)
}

fn compare(c: SortCriterion, a: &SortKeys, b: &SortKeys) -> Ordering {
    let o = match c.key {
        SortKey::Arrival => a.arrival.cmp(&b.arrival),
        SortKey::Cc => a.cc.cmp(&b.cc),
        SortKey::Date => a.date.cmp(&b.date),
        SortKey::From => a.from.cmp(&b.from),
        SortKey::Size => a.size.cmp(&b.size),
        SortKey::Subject => a.subject.cmp(&b.subject),
        SortKey::To => a.to.cmp(&b.to),
    };
    if c.reverse { o.reverse() } else { o }
}

/// SORT: the ids of `keys` ordered by `criteria`, ties by sequence number.
pub fn sort(criteria: &[SortCriterion], keys: &[SortKeys]) -> Vec<u32> {
    let mut idx: Vec<&SortKeys> = keys.iter().collect();
    idx.sort_by(|a, b| {
        criteria
            .iter()
            .map(|c| compare(*c, a, b))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| a.seq.cmp(&b.seq))
    });
    idx.into_iter().map(|k| k.id).collect()
}

fn by_date(a: &SortKeys, b: &SortKeys) -> Ordering {
    a.date.cmp(&b.date).then(a.seq.cmp(&b.seq))
}

/// THREAD with `algorithm` over the (already searched) messages.
pub fn thread(algorithm: ThreadAlgorithm, keys: &[SortKeys]) -> Vec<Thread> {
    match algorithm {
        ThreadAlgorithm::OrderedSubject => ordered_subject(keys),
        ThreadAlgorithm::References => references(keys),
    }
}

fn ordered_subject(keys: &[SortKeys]) -> Vec<Thread> {
    let mut idx: Vec<&SortKeys> = keys.iter().collect();
    idx.sort_by(|a, b| a.subject.cmp(&b.subject).then_with(|| by_date(a, b)));
    let mut groups: Vec<Vec<&SortKeys>> = Vec::new();
    for k in idx {
        match groups.last_mut() {
            Some(g) if g.first().is_some_and(|f| f.subject == k.subject) => g.push(k),
            _ => groups.push(vec![k]),
        }
    }
    groups.sort_by(|a, b| match (a.first(), b.first()) {
        (Some(x), Some(y)) => by_date(x, y),
        _ => Ordering::Equal,
    });
    groups
        .into_iter()
        .filter_map(|g| {
            let (first, rest) = g.split_first()?;
            Some(Thread {
                id: Some(first.id),
                children: rest
                    .iter()
                    .map(|k| Thread {
                        id: Some(k.id),
                        children: Vec::new(),
                    })
                    .collect(),
            })
        })
        .collect()
}

#[derive(Debug, Default, Clone)]
struct Node {
    msg: Option<usize>,
    parent: Option<usize>,
    children: Vec<usize>,
    gone: bool,
}

struct Tree<'k> {
    nodes: Vec<Node>,
    keys: &'k [SortKeys],
}

impl Tree<'_> {
    /// Whether `anc` is `node` or one of its ancestors (long chains count as yes).
    fn is_ancestor(&self, anc: usize, node: usize) -> bool {
        let mut cur = Some(node);
        for _ in 0..MAX_WALK {
            match cur {
                None => return false,
                Some(c) if c == anc => return true,
                Some(c) => cur = self.nodes.get(c).and_then(|n| n.parent),
            }
        }
        true
    }

    fn unlink(&mut self, child: usize) {
        if let Some(p) = self.nodes.get(child).and_then(|n| n.parent) {
            if let Some(pn) = self.nodes.get_mut(p) {
                pn.children.retain(|&c| c != child);
            }
            if let Some(n) = self.nodes.get_mut(child) {
                n.parent = None;
            }
        }
    }

    fn link(&mut self, parent: usize, child: usize) {
        self.unlink(child);
        if let Some(n) = self.nodes.get_mut(child) {
            n.parent = Some(parent);
        }
        if let Some(p) = self.nodes.get_mut(parent) {
            p.children.push(child);
        }
    }

    fn new_node(&mut self) -> usize {
        self.nodes.push(Node::default());
        self.nodes.len() - 1
    }

    fn key(&self, n: usize) -> Option<&SortKeys> {
        self.nodes
            .get(n)
            .and_then(|n| n.msg)
            .and_then(|m| self.keys.get(m))
    }

    /// The message that stands for a node: its own, or its first child's (after sorting).
    fn rep(&self, n: usize) -> Option<&SortKeys> {
        let mut cur = n;
        for _ in 0..MAX_WALK {
            if let Some(k) = self.key(cur) {
                return Some(k);
            }
            cur = *self.nodes.get(cur)?.children.first()?;
        }
        None
    }

    fn sort_children(&mut self, order: &[usize]) {
        // Post-order: children are sorted before their parent looks at its first child.
        for &n in order {
            let mut ch = std::mem::take(&mut self.nodes[n].children);
            ch.sort_by(|&a, &b| match (self.rep(a), self.rep(b)) {
                (Some(x), Some(y)) => by_date(x, y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            });
            self.nodes[n].children = ch;
        }
    }

    /// Nodes under `roots` in post-order (children first), iteratively.
    fn post_order(&self, roots: &[usize]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack: Vec<(usize, bool)> = roots.iter().rev().map(|&r| (r, false)).collect();
        while let Some((n, done)) = stack.pop() {
            if done {
                out.push(n);
                continue;
            }
            stack.push((n, true));
            if let Some(node) = self.nodes.get(n) {
                stack.extend(node.children.iter().rev().map(|&c| (c, false)));
            }
        }
        out
    }

    fn sort_roots(&self, roots: &mut [usize]) {
        roots.sort_by(|&a, &b| match (self.rep(a), self.rep(b)) {
            (Some(x), Some(y)) => by_date(x, y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        });
    }
}

#[allow(clippy::too_many_lines)]
fn references(keys: &[SortKeys]) -> Vec<Thread> {
    let mut t = Tree {
        nodes: Vec::with_capacity(keys.len() * 2),
        keys,
    };
    let mut ids: HashMap<&str, usize> = HashMap::new();
    // (1) Link messages by Message-ID and References.
    for (i, k) in keys.iter().enumerate() {
        let me = match k.message_id.as_deref() {
            Some(id) => match ids.get(id) {
                Some(&n) if t.nodes[n].msg.is_none() => n,
                Some(_) => t.new_node(),
                None => {
                    let n = t.new_node();
                    ids.insert(id, n);
                    n
                }
            },
            None => t.new_node(),
        };
        t.nodes[me].msg = Some(i);
        let mut prev: Option<usize> = None;
        let mut chain = Vec::with_capacity(k.references.len());
        for r in &k.references {
            let n = match ids.get(r.as_str()) {
                Some(&n) => n,
                None => {
                    let n = t.new_node();
                    ids.insert(r.as_str(), n);
                    n
                }
            };
            chain.push(n);
            if let Some(p) = prev
                && p != n
                && t.nodes[n].parent.is_none()
                && !t.is_ancestor(n, p)
            {
                t.link(p, n);
            }
            prev = Some(n);
        }
        match chain.last() {
            Some(&p) if p != me && !t.is_ancestor(me, p) => t.link(p, me),
            Some(_) => {}
            None => t.unlink(me),
        }
    }
    drop(ids);
    // (2) The root set.
    let mut roots: Vec<usize> = (0..t.nodes.len())
        .filter(|&n| t.nodes[n].parent.is_none())
        .collect();
    // (4) Prune dummies, bottom-up.
    let order = t.post_order(&roots);
    for n in order {
        if t.nodes[n].msg.is_some() {
            continue;
        }
        let parent = t.nodes[n].parent;
        let children = t.nodes[n].children.clone();
        if children.is_empty() {
            t.unlink(n);
            t.nodes[n].gone = true;
        } else if parent.is_some() || children.len() == 1 {
            // Promote the children to this level.
            for &c in &children {
                t.unlink(c);
                if let Some(p) = parent {
                    t.link(p, c);
                }
            }
            t.unlink(n);
            t.nodes[n].gone = true;
        }
    }
    roots = (0..t.nodes.len())
        .filter(|&n| t.nodes[n].parent.is_none() && !t.nodes[n].gone)
        .collect();
    // (5) Sort the roots by date (children sorted first).
    let order = t.post_order(&roots);
    t.sort_children(&order);
    t.sort_roots(&mut roots);
    // (6) Gather roots with the same base subject.
    let mut table: HashMap<String, usize> = HashMap::new();
    for &r in &roots {
        let Some(k) = t.rep(r) else { continue };
        if k.subject.is_empty() {
            continue;
        }
        let dummy = t.nodes[r].msg.is_none();
        match table.get(&k.subject) {
            None => {
                table.insert(k.subject.clone(), r);
            }
            Some(&old) => {
                let old_dummy = t.nodes[old].msg.is_none();
                let old_reply = t.key(old).is_some_and(|o| o.subject_is_reply);
                if (dummy && !old_dummy) || (!old_dummy && old_reply && !k.subject_is_reply) {
                    table.insert(k.subject.clone(), r);
                }
            }
        }
    }
    let mut merged = vec![false; t.nodes.len()];
    for &r in &roots.clone() {
        if merged.get(r).copied().unwrap_or(true) {
            continue;
        }
        let Some(k) = t.rep(r) else { continue };
        let subject = k.subject.clone();
        let reply = k.subject_is_reply;
        let Some(&other) = table.get(&subject) else {
            continue;
        };
        if other == r || merged.get(other).copied().unwrap_or(true) {
            continue;
        }
        let (r_dummy, o_dummy) = (t.nodes[r].msg.is_none(), t.nodes[other].msg.is_none());
        let o_reply = t.key(other).is_some_and(|o| o.subject_is_reply);
        if r_dummy && o_dummy {
            let ch = std::mem::take(&mut t.nodes[r].children);
            for c in ch {
                t.nodes[c].parent = None;
                t.link(other, c);
            }
            merged[r] = true;
        } else if o_dummy {
            t.link(other, r);
            merged[r] = true;
        } else if r_dummy {
            t.link(r, other);
            merged[other] = true;
            table.insert(subject, r);
        } else if reply && !o_reply {
            t.link(other, r);
            merged[r] = true;
        } else {
            let d = t.new_node();
            merged.push(false);
            t.link(d, other);
            t.link(d, r);
            merged[r] = true;
            merged[other] = true;
            if let Some(m) = merged.get_mut(d) {
                *m = false;
            }
            table.insert(subject, d);
            // The new dummy takes the place of the old container among the roots.
            if let Some(pos) = roots.iter().position(|&x| x == other) {
                roots[pos] = d;
            }
        }
    }
    roots.retain(|&r| !merged.get(r).copied().unwrap_or(true) && t.nodes[r].parent.is_none());
    // (7) Sort siblings and roots again.
    let order = t.post_order(&roots);
    t.sort_children(&order);
    t.sort_roots(&mut roots);
    build(&t, &roots)
}

/// The nested [`Thread`] values, built bottom-up without recursion; nodes deeper than
/// [`MAX_THREAD_DEPTH`] hang flat under their ancestor at that depth.
fn build(t: &Tree<'_>, roots: &[usize]) -> Vec<Thread> {
    // Depth-first with explicit stacks of partially built threads.
    struct Frame {
        node: usize,
        next_child: usize,
        built: Thread,
        depth: usize,
    }
    let mut out = Vec::with_capacity(roots.len());
    for &r in roots {
        let mut stack = vec![Frame {
            node: r,
            next_child: 0,
            built: Thread {
                id: t.key(r).map(|k| k.id),
                children: Vec::new(),
            },
            depth: 0,
        }];
        while let Some(top) = stack.last_mut() {
            let children = &t.nodes[top.node].children;
            if let Some(&c) = children.get(top.next_child) {
                top.next_child += 1;
                if top.depth + 1 >= MAX_THREAD_DEPTH {
                    // Flatten the whole subtree of `c` (pre-order) under `top`.
                    let mut pending = vec![c];
                    while let Some(n) = pending.pop() {
                        if let Some(k) = t.key(n) {
                            top.built.children.push(Thread {
                                id: Some(k.id),
                                children: Vec::new(),
                            });
                        }
                        pending.extend(t.nodes[n].children.iter().rev());
                    }
                    continue;
                }
                let depth = top.depth + 1;
                stack.push(Frame {
                    node: c,
                    next_child: 0,
                    built: Thread {
                        id: t.key(c).map(|k| k.id),
                        children: Vec::new(),
                    },
                    depth,
                });
            } else if let Some(done) = stack.pop() {
                match stack.last_mut() {
                    Some(parent) => parent.built.children.push(done.built),
                    None => out.push(done.built),
                }
            }
        }
    }
    out
}
