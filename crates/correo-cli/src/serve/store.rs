//! The mail store behind `correo serve`: users and Maildirs on disk.
//!
//! User NAME's mailboxes live under `ROOT/NAME`: INBOX is the Maildir `ROOT/NAME` itself
//! (`cur/ new/ tmp/`), and a folder `a/b` is the Maildir++ folder `ROOT/NAME/.a.b` (a dot
//! inside a name is written `&AC4-`, as in modified UTF-7). File names and flags follow
//! `correo_mime::maildir`. UIDs are kept stable across sessions in a `correo-uidlist` file in
//! each mailbox (`V<uidvalidity> N<uidnext>` then one `UID UNIQUE` line per message), so POP3
//! UIDL and IMAP UIDs survive restarts. Mod-sequences (IMAP CONDSTORE/QRESYNC) are kept
//! beside it in `correo-modseq` (`H<highest> F<floor>`, then `UID MODSEQ FLAGS` per message
//! and `X UID MODSEQ` per expunged message): every scan that sees a new message, changed
//! flags or a removed message gives it the next mod-sequence, whoever made the change.
//! Subscriptions are the lines of `ROOT/NAME/correo-subscriptions`. One process-wide lock
//! serialises changes.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use correo_mime::maildir::{Flags, MaildirName, UniqueName};

const UIDLIST: &str = "correo-uidlist";
const MODSEQ: &str = "correo-modseq";
const SUBSCRIPTIONS: &str = "correo-subscriptions";
/// Expunged messages remembered for QRESYNC; older ones are summarised by the floor.
const MAX_TOMBSTONES: usize = 10_000;

/// The last UIDVALIDITY handed out by this process: a mailbox created again under a
/// name that was renamed or deleted in the same second still gets a new one.
static LAST_VALIDITY: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn new_validity() -> u32 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
        .max(1);
    let mut last = LAST_VALIDITY.load(Ordering::Relaxed);
    loop {
        let v = now.max(last.saturating_add(1));
        match LAST_VALIDITY.compare_exchange(last, v, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return v,
            Err(l) => last = l,
        }
    }
}

/// `name:password` pairs, from a users file or the demo default.
#[derive(Debug, Clone, Default)]
pub(crate) struct Users {
    map: HashMap<String, String>,
}

impl Users {
    /// Parses a users file: one `name:password` a line; blank lines and `#` comments skipped.
    pub(crate) fn parse(text: &str) -> io::Result<Users> {
        let mut map = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let Some((name, pass)) = line.split_once(':') else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("users file line {}: expected name:password", n + 1),
                ));
            };
            let name = name.trim();
            if !valid_user_name(name) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("users file line {}: bad user name {name:?}", n + 1),
                ));
            }
            map.insert(name.to_owned(), pass.to_owned());
        }
        Ok(Users { map })
    }

    /// A single user.
    pub(crate) fn single(name: &str, password: &str) -> Users {
        let mut map = HashMap::new();
        map.insert(name.to_owned(), password.to_owned());
        Users { map }
    }

    /// The password of `name`, if the user exists.
    pub(crate) fn password(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// Whether the credentials are right.
    pub(crate) fn check(&self, name: &str, password: &str) -> bool {
        self.password(name).is_some_and(|p| p == password)
    }

    /// All user names, sorted.
    pub(crate) fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.map.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// The user a recipient address delivers to: the local part, when it names a user
    /// (`NAME@any-domain`, case-insensitively for the local part's ASCII letters).
    pub(crate) fn for_address(&self, address: &str) -> Option<&str> {
        let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
        let local = local.trim_matches('"');
        self.map
            .keys()
            .find(|k| k.eq_ignore_ascii_case(local))
            .map(String::as_str)
    }
}

fn valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
}

/// One message in a mailbox, as scanned.
#[derive(Debug, Clone)]
pub(crate) struct StoredMessage {
    /// The stable UID.
    pub(crate) uid: u32,
    /// The unique part of the file name (the POP3 UIDL).
    pub(crate) unique: String,
    /// Where the file is now.
    pub(crate) path: PathBuf,
    /// File size in bytes.
    pub(crate) size: u64,
    /// Flags from the file name.
    pub(crate) flags: Flags,
    /// Delivery time, seconds since the epoch (from the name, else the file's mtime).
    pub(crate) internal_date: u64,
    /// Mod-sequence of its last change (CONDSTORE).
    pub(crate) modseq: u64,
}

/// A scanned mailbox.
#[derive(Debug, Clone)]
pub(crate) struct MailboxState {
    /// UIDVALIDITY.
    pub(crate) uid_validity: u32,
    /// The next UID to be assigned.
    pub(crate) uid_next: u32,
    /// Messages in UID order.
    pub(crate) messages: Vec<StoredMessage>,
    /// The highest mod-sequence (HIGHESTMODSEQ).
    pub(crate) highest_modseq: u64,
    /// Expunged messages: (UID, mod-sequence of the expunge).
    pub(crate) vanished: Vec<(u32, u64)>,
    /// Expunges at or below this mod-sequence may be missing from `vanished`.
    pub(crate) vanished_floor: u64,
}

/// The message with `uid` in `messages`, which are in UID order (as a scan returns them):
/// a binary search, so FETCH and STORE over large sets stay O(n log n).
pub(crate) fn by_uid(messages: &[StoredMessage], uid: u32) -> Option<&StoredMessage> {
    messages
        .binary_search_by_key(&uid, |m| m.uid)
        .ok()
        .and_then(|i| messages.get(i))
}

impl MailboxState {
    /// UIDs expunged after `modseq` (QRESYNC). When older expunges were forgotten, every
    /// UID below UIDNEXT that is not in the mailbox is given (allowed by RFC 7162).
    pub(crate) fn vanished_since(&self, modseq: u64) -> Vec<u32> {
        if modseq < self.vanished_floor {
            let live: std::collections::HashSet<u32> =
                self.messages.iter().map(|m| m.uid).collect();
            return (1..self.uid_next).filter(|u| !live.contains(u)).collect();
        }
        self.vanished
            .iter()
            .filter(|v| v.1 > modseq)
            .map(|v| v.0)
            .collect()
    }
}

/// The Maildir store.
#[derive(Debug)]
pub(crate) struct Store {
    root: PathBuf,
    host: String,
    counter: AtomicU64,
    lock: Mutex<()>,
    /// Bumped on every delivery; IMAP IDLE waits on it.
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Store {
    /// A store rooted at `root` (created if missing).
    pub(crate) fn new(root: &Path, host: &str) -> io::Result<Store> {
        fs::create_dir_all(root)?;
        Ok(Store {
            root: root.to_path_buf(),
            host: host.to_owned(),
            counter: AtomicU64::new(0),
            lock: Mutex::new(()),
            generation: Mutex::new(0),
            changed: Condvar::new(),
        })
    }

    /// The root directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn guard(&self) -> MutexGuard<'_, ()> {
        self.lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The Maildir of `user`'s mailbox `name` (INBOX case-insensitive).
    pub(crate) fn mailbox_dir(&self, user: &str, name: &str) -> io::Result<PathBuf> {
        if !valid_user_name(user) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad user name"));
        }
        let base = self.root.join(user);
        if name.eq_ignore_ascii_case("INBOX") {
            return Ok(base);
        }
        let mut folder = String::new();
        for part in name.split('/') {
            if part.is_empty() || part == ".." || part.contains(['\0', '\\']) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("bad mailbox name {name:?}"),
                ));
            }
            folder.push('.');
            folder.push_str(&part.replace('.', "&AC4-"));
        }
        Ok(base.join(folder))
    }

    /// Makes sure `user`'s INBOX exists.
    pub(crate) fn ensure_user(&self, user: &str) -> io::Result<()> {
        let dir = self.mailbox_dir(user, "INBOX")?;
        make_maildir(&dir)
    }

    /// Creates a mailbox (and its parents, as IMAP CREATE does). Fails if it exists.
    pub(crate) fn create_mailbox(&self, user: &str, name: &str) -> io::Result<()> {
        let _g = self.guard();
        let dir = self.mailbox_dir(user, name)?;
        if dir.join("cur").is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "mailbox exists",
            ));
        }
        let mut prefix = String::new();
        for part in name.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            make_maildir(&self.mailbox_dir(user, &prefix)?)?;
        }
        Ok(())
    }

    /// Whether a mailbox exists.
    pub(crate) fn mailbox_exists(&self, user: &str, name: &str) -> bool {
        self.mailbox_dir(user, name)
            .is_ok_and(|d| d.join("cur").is_dir())
    }

    /// Deletes a mailbox (not INBOX) with its messages.
    pub(crate) fn delete_mailbox(&self, user: &str, name: &str) -> io::Result<()> {
        if name.eq_ignore_ascii_case("INBOX") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot delete INBOX",
            ));
        }
        let _g = self.guard();
        fs::remove_dir_all(self.mailbox_dir(user, name)?)
    }

    /// Whether `name` has inferior names (`name/...`) that exist.
    pub(crate) fn has_children(&self, user: &str, name: &str) -> bool {
        let prefix = format!("{name}/");
        self.mailboxes(user)
            .is_ok_and(|v| v.iter().any(|n| n.starts_with(&prefix)))
    }

    /// `user`'s hierarchy for LIST: every mailbox, plus the parents that only exist
    /// through their children (`true`: `\Noselect`), sorted with INBOX first.
    pub(crate) fn hierarchy(&self, user: &str) -> io::Result<Vec<(String, bool)>> {
        let names = self.mailboxes(user)?;
        let set: std::collections::BTreeSet<&str> = names.iter().map(String::as_str).collect();
        let mut out: Vec<(String, bool)> = Vec::with_capacity(names.len());
        let mut implied = std::collections::BTreeSet::new();
        for n in &names {
            let mut prefix = String::new();
            let parts: Vec<&str> = n.split('/').collect();
            for p in parts.iter().take(parts.len().saturating_sub(1)) {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(p);
                if !set.contains(prefix.as_str()) {
                    implied.insert(prefix.clone());
                }
            }
        }
        out.extend(names.iter().map(|n| (n.clone(), false)));
        out.extend(implied.into_iter().map(|n| (n, true)));
        out.sort_by(|a, b| {
            (a.0 != "INBOX")
                .cmp(&(b.0 != "INBOX"))
                .then_with(|| a.0.cmp(&b.0))
        });
        Ok(out)
    }

    /// Renames a mailbox and its inferiors (RFC 3501 6.3.5), creating the new name's
    /// parents. Renaming INBOX moves its messages into the new mailbox and leaves INBOX
    /// empty (its UIDVALIDITY and UIDNEXT stay; the moved messages get new UIDs).
    pub(crate) fn rename_mailbox(&self, user: &str, from: &str, to: &str) -> io::Result<()> {
        let exists = |e: bool, what: &str| -> io::Result<()> {
            if e {
                Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    what.to_owned(),
                ))
            } else {
                Ok(())
            }
        };
        if to.eq_ignore_ascii_case("INBOX") {
            return exists(true, "INBOX exists");
        }
        let to_dir = self.mailbox_dir(user, to)?;
        exists(
            to_dir.join("cur").is_dir() || self.has_children(user, to),
            "mailbox exists",
        )?;
        if from.eq_ignore_ascii_case("INBOX") {
            let from_dir = self.mailbox_dir(user, "INBOX")?;
            self.create_mailbox(user, to)?;
            let g = self.guard();
            for sub in ["new", "cur"] {
                let Ok(rd) = fs::read_dir(from_dir.join(sub)) else {
                    continue;
                };
                for entry in rd.flatten() {
                    if entry.file_type().is_ok_and(|t| t.is_file()) {
                        fs::rename(entry.path(), to_dir.join(sub).join(entry.file_name()))?;
                    }
                }
            }
            Self::scan_locked(&from_dir)?;
            Self::scan_locked(&to_dir)?;
            drop(g);
            self.bump();
            return Ok(());
        }
        if to.starts_with(&format!("{from}/")) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot rename a mailbox under itself",
            ));
        }
        let from_dir = self.mailbox_dir(user, from)?;
        let prefix = format!("{from}/");
        let inferiors: Vec<String> = self
            .mailboxes(user)?
            .into_iter()
            .filter(|n| n.starts_with(&prefix))
            .collect();
        if !from_dir.join("cur").is_dir() && inferiors.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no mailbox {from:?}"),
            ));
        }
        // Parents of the new name.
        let parts: Vec<&str> = to.split('/').collect();
        let mut parent = String::new();
        for p in parts.iter().take(parts.len().saturating_sub(1)) {
            if !parent.is_empty() {
                parent.push('/');
            }
            parent.push_str(p);
            if !self.mailbox_exists(user, &parent) {
                make_maildir(&self.mailbox_dir(user, &parent)?)?;
            }
        }
        let _g = self.guard();
        if from_dir.is_dir() {
            fs::rename(&from_dir, &to_dir)?;
        }
        for n in inferiors {
            let rest = n.get(prefix.len()..).unwrap_or_default();
            let new = format!("{to}/{rest}");
            fs::rename(self.mailbox_dir(user, &n)?, self.mailbox_dir(user, &new)?)?;
        }
        Ok(())
    }

    /// The subscribed names of `user`, sorted.
    pub(crate) fn subscriptions(&self, user: &str) -> io::Result<Vec<String>> {
        let path = self.mailbox_dir(user, "INBOX")?.join(SUBSCRIPTIONS);
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        let mut v: Vec<String> = text
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        v.sort();
        v.dedup();
        Ok(v)
    }

    /// Subscribes (`on`) or unsubscribes `name`.
    pub(crate) fn subscribe(&self, user: &str, name: &str, on: bool) -> io::Result<()> {
        if name.contains(['\n', '\r', '\0']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "bad mailbox name",
            ));
        }
        let _g = self.guard();
        let mut v = self.subscriptions(user)?;
        v.retain(|n| n != name);
        if on {
            v.push(name.to_owned());
            v.sort();
        }
        let path = self.mailbox_dir(user, "INBOX")?.join(SUBSCRIPTIONS);
        let mut text = String::new();
        for n in v {
            text.push_str(&n);
            text.push('\n');
        }
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, text)?;
        fs::rename(tmp, path)
    }

    /// `user`'s mailbox names: INBOX first, then folders sorted, with `/` as delimiter.
    pub(crate) fn mailboxes(&self, user: &str) -> io::Result<Vec<String>> {
        let base = self.mailbox_dir(user, "INBOX")?;
        let mut out = Vec::new();
        if base.join("cur").is_dir() {
            out.push("INBOX".to_owned());
        }
        let mut folders = Vec::new();
        if let Ok(rd) = fs::read_dir(&base) {
            for entry in rd.flatten() {
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                let Some(rest) = name.strip_prefix('.') else {
                    continue;
                };
                if rest.is_empty() || !entry.path().join("cur").is_dir() {
                    continue;
                }
                let parts: Vec<String> = rest.split('.').map(|p| p.replace("&AC4-", ".")).collect();
                folders.push(parts.join("/"));
            }
        }
        folders.sort();
        out.extend(folders);
        Ok(out)
    }

    fn unique_name(&self, size: u64) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        UniqueName {
            secs: now.as_secs(),
            usec: now.subsec_micros(),
            pid: std::process::id(),
            counter: self.counter.fetch_add(1, Ordering::Relaxed),
            host: &self.host,
        }
        .build(Some(size), None)
    }

    /// Delivers a message into `user`'s `mailbox` (tmp/ then rename into new/, or into cur/
    /// with `flags` when some are given). Returns the UID it got.
    pub(crate) fn deliver(
        &self,
        user: &str,
        mailbox: &str,
        bytes: &[u8],
        flags: Flags,
    ) -> io::Result<u32> {
        let dir = self.mailbox_dir(user, mailbox)?;
        make_maildir(&dir)?;
        let name = self.unique_name(bytes.len() as u64);
        let tmp = dir.join("tmp").join(&name);
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        let target = if flags.is_empty() {
            dir.join("new").join(&name)
        } else {
            dir.join("cur")
                .join(correo_mime::maildir::with_flags(&name, flags))
        };
        let uid = {
            let _g = self.guard();
            fs::rename(&tmp, &target)?;
            let state = Self::scan_locked(&dir)?;
            state
                .messages
                .iter()
                .find(|m| m.unique == name)
                .map_or(state.uid_next.saturating_sub(1), |m| m.uid)
        };
        self.bump();
        Ok(uid)
    }

    fn bump(&self) {
        let mut g = self
            .generation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *g += 1;
        self.changed.notify_all();
    }

    /// The change counter (bumped by every delivery).
    pub(crate) fn generation(&self) -> u64 {
        *self
            .generation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Scans a mailbox: messages in UID order, UIDs assigned to new files and persisted.
    pub(crate) fn scan(&self, user: &str, mailbox: &str) -> io::Result<MailboxState> {
        let dir = self.mailbox_dir(user, mailbox)?;
        if !dir.join("cur").is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no mailbox {mailbox:?}"),
            ));
        }
        let _g = self.guard();
        Self::scan_locked(&dir)
    }

    fn scan_locked(dir: &Path) -> io::Result<MailboxState> {
        let list_path = dir.join(UIDLIST);
        let (mut validity, mut next, mut known) = read_uidlist(&list_path);
        if validity == 0 {
            validity = new_validity();
            next = 1;
        }
        let mut found: Vec<(String, PathBuf, u64, Flags, Arrival)> = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(rd) = fs::read_dir(dir.join(sub)) else {
                continue;
            };
            for entry in rd.flatten() {
                let fname = entry.file_name();
                let Some(fname) = fname.to_str() else {
                    continue;
                };
                let Ok(parsed) = MaildirName::parse(fname) else {
                    continue;
                };
                let meta = entry.metadata()?;
                if !meta.is_file() {
                    continue;
                }
                let date = parsed.secs.unwrap_or_else(|| {
                    meta.modified()
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_secs())
                });
                found.push((
                    parsed.unique.to_owned(),
                    entry.path(),
                    meta.len(),
                    parsed.flags(),
                    {
                        let (usec, counter) = delivery_order(&parsed);
                        (date, usec, counter)
                    },
                ));
            }
        }
        // New files get UIDs in delivery order: the second, then the microsecond and
        // counter of `secs.M<usec>P<pid>Q<counter>` names (not zero-padded, so not in
        // lexical order), then the name.
        found.sort_by(|a, b| a.4.cmp(&b.4).then_with(|| a.0.cmp(&b.0)));
        let mut changed = false;
        let mut messages = Vec::with_capacity(found.len());
        let mut live: HashMap<String, u32> = HashMap::with_capacity(found.len());
        for (unique, path, size, flags, (date, ..)) in found {
            let uid = if let Some(&uid) = known.get(&unique) {
                uid
            } else {
                let uid = next;
                next = next.saturating_add(1);
                changed = true;
                uid
            };
            live.insert(unique.clone(), uid);
            messages.push(StoredMessage {
                uid,
                unique,
                path,
                size,
                flags,
                internal_date: date,
                modseq: 0,
            });
        }
        if known.len() != live.len() {
            changed = true;
        }
        known = live;
        messages.sort_by_key(|m| m.uid);
        if changed || !list_path.exists() {
            write_uidlist(&list_path, validity, next, &known)?;
        }
        // Mod-sequences: new messages, changed flags and removals each take the next one.
        let ms_path = dir.join(MODSEQ);
        let mut ms = read_modseq(&ms_path);
        let mut ms_changed = !ms_path.exists();
        let mut seen = std::collections::HashSet::with_capacity(messages.len());
        for m in &mut messages {
            seen.insert(m.uid);
            match ms.live.get(&m.uid) {
                Some(&(modseq, flags)) if flags == m.flags => m.modseq = modseq,
                _ => {
                    ms.highest += 1;
                    m.modseq = ms.highest;
                    ms.live.insert(m.uid, (m.modseq, m.flags));
                    ms_changed = true;
                }
            }
        }
        let mut gone: Vec<u32> = ms
            .live
            .keys()
            .copied()
            .filter(|u| !seen.contains(u))
            .collect();
        gone.sort_unstable();
        for uid in gone {
            ms.live.remove(&uid);
            ms.highest += 1;
            ms.vanished.push((uid, ms.highest));
            ms_changed = true;
        }
        if ms.vanished.len() > MAX_TOMBSTONES {
            let cut = ms.vanished.len() - MAX_TOMBSTONES;
            ms.floor = ms.vanished.get(cut - 1).map_or(ms.floor, |v| v.1);
            ms.vanished.drain(..cut);
        }
        if ms_changed {
            write_modseq(&ms_path, &ms)?;
        }
        Ok(MailboxState {
            uid_validity: validity,
            uid_next: next,
            messages,
            highest_modseq: ms.highest,
            vanished: ms.vanished,
            vanished_floor: ms.floor,
        })
    }

    /// Sets the flags of the message with `uid` (moving it to cur/ when needed).
    #[cfg(test)]
    pub(crate) fn set_flags(
        &self,
        user: &str,
        mailbox: &str,
        uid: u32,
        flags: Flags,
    ) -> io::Result<()> {
        let dir = self.mailbox_dir(user, mailbox)?;
        let _g = self.guard();
        let state = Self::scan_locked(&dir)?;
        let Some(msg) = by_uid(&state.messages, uid) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no message with UID {uid}"),
            ));
        };
        let target = dir
            .join("cur")
            .join(correo_mime::maildir::with_flags(&msg.unique, flags));
        if target != msg.path {
            fs::rename(&msg.path, &target)?;
        }
        Ok(())
    }

    /// Changes the flags of many messages with one scan: `decide` sees each message as
    /// scanned now (current flags and mod-sequence) and returns its new flags, or `None`
    /// to leave it. Changed files are renamed and take the next mod-sequences (in UID
    /// order) without a rescan. Returns the mailbox as it is afterwards.
    pub(crate) fn update_flags(
        &self,
        user: &str,
        mailbox: &str,
        mut decide: impl FnMut(&StoredMessage) -> Option<Flags>,
    ) -> io::Result<MailboxState> {
        let dir = self.mailbox_dir(user, mailbox)?;
        let _g = self.guard();
        let mut state = Self::scan_locked(&dir)?;
        let mut changed = false;
        let mut failed = None;
        for m in &mut state.messages {
            let Some(f) = decide(m).filter(|&f| f != m.flags) else {
                continue;
            };
            let target = dir
                .join("cur")
                .join(correo_mime::maildir::with_flags(&m.unique, f));
            if target != m.path
                && let Err(e) = fs::rename(&m.path, &target)
            {
                failed = Some(e);
                break;
            }
            m.flags = f;
            m.path = target;
            state.highest_modseq += 1;
            m.modseq = state.highest_modseq;
            changed = true;
        }
        if changed {
            // The same record a rescan would write: every live message with its
            // mod-sequence and flags, the tombstones unchanged.
            let ms = ModSeqState {
                highest: state.highest_modseq,
                floor: state.vanished_floor,
                live: state
                    .messages
                    .iter()
                    .map(|m| (m.uid, (m.modseq, m.flags)))
                    .collect(),
                vanished: state.vanished.clone(),
            };
            write_modseq(&dir.join(MODSEQ), &ms)?;
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(state),
        }
    }

    /// Removes messages by UID.
    pub(crate) fn remove(&self, user: &str, mailbox: &str, uids: &[u32]) -> io::Result<()> {
        let dir = self.mailbox_dir(user, mailbox)?;
        let _g = self.guard();
        let state = Self::scan_locked(&dir)?;
        for msg in state.messages.iter().filter(|m| uids.contains(&m.uid)) {
            fs::remove_file(&msg.path)?;
        }
        Self::scan_locked(&dir).map(|_| ())
    }

    /// Copies the message with `uid` into another mailbox, keeping its flags; returns the
    /// new UID.
    pub(crate) fn copy(&self, user: &str, from: &str, uid: u32, to: &str) -> io::Result<u32> {
        let (bytes, flags) = {
            let dir = self.mailbox_dir(user, from)?;
            let _g = self.guard();
            let state = Self::scan_locked(&dir)?;
            let Some(msg) = by_uid(&state.messages, uid) else {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no message with UID {uid}"),
                ));
            };
            (fs::read(&msg.path)?, msg.flags)
        };
        if !self.mailbox_exists(user, to) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no mailbox {to:?}"),
            ));
        }
        self.deliver(user, to, &bytes, flags)
    }
}

#[derive(Debug, Default)]
struct ModSeqState {
    highest: u64,
    floor: u64,
    live: HashMap<u32, (u64, Flags)>,
    vanished: Vec<(u32, u64)>,
}

fn read_modseq(path: &Path) -> ModSeqState {
    let mut st = ModSeqState {
        highest: 1,
        ..ModSeqState::default()
    };
    let Ok(text) = fs::read_to_string(path) else {
        return st;
    };
    let mut lines = text.lines();
    if let Some(head) = lines.next() {
        for word in head.split_whitespace() {
            if let Some(v) = word.strip_prefix('H') {
                st.highest = v.parse().unwrap_or(1).max(1);
            } else if let Some(v) = word.strip_prefix('F') {
                st.floor = v.parse().unwrap_or(0);
            }
        }
    }
    for line in lines {
        let mut w = line.split(' ');
        match (w.next(), w.next(), w.next()) {
            (Some("X"), Some(uid), Some(m)) => {
                if let (Ok(uid), Ok(m)) = (uid.parse(), m.parse::<u64>()) {
                    st.highest = st.highest.max(m);
                    st.vanished.push((uid, m));
                }
            }
            (Some(uid), Some(m), flags) => {
                if let (Ok(uid), Ok(m)) = (uid.parse(), m.parse::<u64>()) {
                    let flags = Flags::parse(flags.unwrap_or("").trim_start_matches('-')).0;
                    st.highest = st.highest.max(m);
                    st.live.insert(uid, (m, flags));
                }
            }
            _ => {}
        }
    }
    st.vanished.sort_by_key(|v| v.1);
    st
}

fn write_modseq(path: &Path, st: &ModSeqState) -> io::Result<()> {
    let mut text = format!("H{} F{}\n", st.highest, st.floor);
    let mut live: Vec<(&u32, &(u64, Flags))> = st.live.iter().collect();
    live.sort_by_key(|e| *e.0);
    for (uid, (m, f)) in live {
        let f = f.to_string();
        let _ = writeln!(text, "{uid} {m} -{f}");
    }
    for (uid, m) in &st.vanished {
        let _ = writeln!(text, "X {uid} {m}");
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text)?;
    fs::rename(tmp, path)
}

fn make_maildir(dir: &Path) -> io::Result<()> {
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    Ok(())
}

fn read_uidlist(path: &Path) -> (u32, u32, HashMap<String, u32>) {
    let mut known = HashMap::new();
    let Ok(text) = fs::read_to_string(path) else {
        return (0, 1, known);
    };
    let mut lines = text.lines();
    let (mut validity, mut next) = (0u32, 1u32);
    if let Some(head) = lines.next() {
        for word in head.split_whitespace() {
            if let Some(v) = word.strip_prefix('V') {
                validity = v.parse().unwrap_or(0);
            } else if let Some(n) = word.strip_prefix('N') {
                next = n.parse().unwrap_or(1);
            }
        }
    }
    for line in lines {
        if let Some((uid, unique)) = line.split_once(' ')
            && let Ok(uid) = uid.parse::<u32>()
        {
            next = next.max(uid.saturating_add(1));
            known.insert(unique.to_owned(), uid);
        }
    }
    (validity, next, known)
}

fn write_uidlist(
    path: &Path,
    validity: u32,
    next: u32,
    known: &HashMap<String, u32>,
) -> io::Result<()> {
    let mut entries: Vec<(&u32, &String)> = known.iter().map(|(k, v)| (v, k)).collect();
    entries.sort();
    let mut text = format!("V{validity} N{next}\n");
    for (uid, unique) in entries {
        let _ = writeln!(text, "{uid} {unique}");
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text)?;
    fs::rename(tmp, path)
}

/// When a file arrived, in delivery order: second, microsecond, counter.
type Arrival = (u64, u32, u64);

/// `(usec, counter)` of a `secs.M<usec>P<pid>Q<counter>...` name (Dovecot's and ours),
/// as correo-mime reads it; `(0, 0)` for other forms.
fn delivery_order(name: &MaildirName<'_>) -> (u32, u64) {
    (name.usec.unwrap_or(0), name.counter.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_root(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("correo-store-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn delivery_order_reads_usec_and_counter() {
        let order = |name: &str| MaildirName::parse(name).map_or((0, 0), |n| delivery_order(&n));
        assert_eq!(order("1732389038.M99P12Q3.host,S=5"), (99, 3));
        assert!(order("1732389038.M99P12Q3.host") < order("1732389038.M100P12Q4.h"));
        assert_eq!(order("1732389038.R1a2b.hostQ9"), (0, 0));
        assert_eq!(order("plain"), (0, 0));
    }

    #[test]
    fn uids_are_stable_and_flags_move_files() {
        let root = temp_root("uids");
        let store = Store::new(&root, "test.host").unwrap();
        store.ensure_user("alice").unwrap();
        let a = store
            .deliver("alice", "INBOX", b"Subject: a\r\n\r\nA\r\n", Flags::EMPTY)
            .unwrap();
        let b = store
            .deliver("alice", "INBOX", b"Subject: b\r\n\r\nB\r\n", Flags::EMPTY)
            .unwrap();
        assert_eq!((a, b), (1, 2));
        store.set_flags("alice", "INBOX", a, Flags::SEEN).unwrap();
        let again = Store::new(&root, "test.host").unwrap();
        let state = again.scan("alice", "INBOX").unwrap();
        assert_eq!(
            state.messages.iter().map(|m| m.uid).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert!(state.messages[0].flags.contains(Flags::SEEN));
        assert_eq!(state.uid_next, 3);
        again.remove("alice", "INBOX", &[1]).unwrap();
        let c = again.deliver("alice", "INBOX", b"x", Flags::EMPTY).unwrap();
        assert_eq!(c, 3, "UIDs are never reused");
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn update_flags_on_many_messages_scans_once_and_keeps_modseqs() {
        let root = temp_root("many");
        let store = Store::new(&root, "h").unwrap();
        store.ensure_user("ana").unwrap();
        let dir = store.mailbox_dir("ana", "INBOX").unwrap();
        // 2000 messages written straight into new/ (a delivery each would rescan each).
        for i in 0..2000u32 {
            let name = format!("1700000000.M{i}P1Q{i}.h,S=1");
            fs::write(dir.join("new").join(name), b"x").unwrap();
        }
        let before = store.scan("ana", "INBOX").unwrap();
        assert_eq!(before.messages.len(), 2000);
        let uids: Vec<u32> = before.messages.iter().map(|m| m.uid).collect();
        assert_eq!(uids, (1..=2000).collect::<Vec<_>>());
        let h0 = before.highest_modseq;
        // \Seen on the odd UIDs, \Flagged on UID 2000; the rest untouched.
        let mut asked = 0;
        let after = store
            .update_flags("ana", "INBOX", |m| {
                asked += 1;
                if m.uid % 2 == 1 {
                    Some(m.flags | Flags::SEEN)
                } else if m.uid == 2000 {
                    Some(Flags::FLAGGED)
                } else {
                    None
                }
            })
            .unwrap();
        assert_eq!(asked, 2000);
        assert_eq!(after.highest_modseq, h0 + 1001);
        let mut next = h0;
        for (m, b) in after.messages.iter().zip(&before.messages) {
            assert_eq!(m.uid, b.uid);
            if m.uid % 2 == 1 || m.uid == 2000 {
                next += 1;
                assert_eq!(m.modseq, next, "UID {}", m.uid);
                assert!(m.path.exists() && m.path.parent().unwrap().ends_with("cur"));
            } else {
                assert_eq!((m.modseq, m.flags, &m.path), (b.modseq, b.flags, &b.path));
            }
        }
        // A fresh scan (another process) sees the same flags, UIDs and mod-sequences.
        let again = Store::new(&root, "h")
            .unwrap()
            .scan("ana", "INBOX")
            .unwrap();
        assert_eq!(again.highest_modseq, after.highest_modseq);
        for (a, b) in again.messages.iter().zip(&after.messages) {
            assert_eq!(
                (a.uid, a.flags, a.modseq, &a.path),
                (b.uid, b.flags, b.modseq, &b.path)
            );
        }
        assert!(again.messages[0].flags.contains(Flags::SEEN));
        assert!(!again.messages[1].flags.contains(Flags::SEEN));
        assert_eq!(again.messages[1999].flags, Flags::FLAGGED);
        // Storing the same flags again changes nothing.
        let same = store
            .update_flags("ana", "INBOX", |m| Some(m.flags))
            .unwrap();
        assert_eq!(same.highest_modseq, after.highest_modseq);
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn folders_use_maildir_plus_plus() {
        let root = temp_root("folders");
        let store = Store::new(&root, "h").unwrap();
        store.ensure_user("bob").unwrap();
        store.create_mailbox("bob", "laboratorio/prueba").unwrap();
        assert!(root.join("bob/.laboratorio.prueba/cur").is_dir());
        assert_eq!(
            store.mailboxes("bob").unwrap(),
            vec!["INBOX", "laboratorio", "laboratorio/prueba"]
        );
        assert!(store.create_mailbox("bob", "laboratorio").is_err());
        assert!(store.mailbox_dir("bob", "../x").is_err());
        let uid = store.deliver("bob", "INBOX", b"m", Flags::EMPTY).unwrap();
        let copied = store
            .copy("bob", "INBOX", uid, "laboratorio/prueba")
            .unwrap();
        assert_eq!(copied, 1);
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn modseqs_persist_and_track_changes() {
        let root = temp_root("modseq");
        let store = Store::new(&root, "h").unwrap();
        store.ensure_user("ana").unwrap();
        let a = store.deliver("ana", "INBOX", b"a", Flags::EMPTY).unwrap();
        let b = store.deliver("ana", "INBOX", b"b", Flags::EMPTY).unwrap();
        let s1 = store.scan("ana", "INBOX").unwrap();
        let (ma, mb) = (s1.messages[0].modseq, s1.messages[1].modseq);
        assert!(ma < mb && mb <= s1.highest_modseq, "{ma} {mb}");
        // A rescan changes nothing; a flag change bumps only that message.
        assert_eq!(
            store.scan("ana", "INBOX").unwrap().highest_modseq,
            s1.highest_modseq
        );
        store.set_flags("ana", "INBOX", a, Flags::SEEN).unwrap();
        let s2 = Store::new(&root, "h")
            .unwrap()
            .scan("ana", "INBOX")
            .unwrap();
        assert!(s2.messages[0].modseq > s1.highest_modseq);
        assert_eq!(s2.messages[1].modseq, mb);
        // An expunge leaves a tombstone with the next mod-sequence.
        store.remove("ana", "INBOX", &[b]).unwrap();
        let s3 = store.scan("ana", "INBOX").unwrap();
        assert_eq!(s3.vanished, vec![(b, s3.highest_modseq)]);
        assert_eq!(s3.vanished_since(s2.highest_modseq), vec![b]);
        assert!(s3.vanished_since(s3.highest_modseq).is_empty());
        // A file removed behind the store's back is noticed too.
        let c = store.deliver("ana", "INBOX", b"c", Flags::EMPTY).unwrap();
        let path = store.scan("ana", "INBOX").unwrap().messages[1].path.clone();
        fs::remove_file(path).unwrap();
        let s4 = store.scan("ana", "INBOX").unwrap();
        assert_eq!(s4.vanished.last().map(|v| v.0), Some(c));
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn rename_delete_and_subscriptions() {
        let root = temp_root("rename");
        let store = Store::new(&root, "h").unwrap();
        store.ensure_user("ana").unwrap();
        store.create_mailbox("ana", "a/b").unwrap();
        store.deliver("ana", "a/b", b"x", Flags::EMPTY).unwrap();
        store.rename_mailbox("ana", "a", "c/d").unwrap();
        assert_eq!(
            store.mailboxes("ana").unwrap(),
            vec!["INBOX", "c", "c/d", "c/d/b"]
        );
        assert_eq!(store.scan("ana", "c/d/b").unwrap().messages.len(), 1);
        assert_eq!(
            store.rename_mailbox("ana", "zz", "y").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(
            store.rename_mailbox("ana", "c", "c/d").unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        // DELETE keeps inferiors; the name remains as \Noselect.
        store.delete_mailbox("ana", "c/d").unwrap();
        assert_eq!(
            store.hierarchy("ana").unwrap(),
            vec![
                ("INBOX".to_owned(), false),
                ("c".to_owned(), false),
                ("c/d".to_owned(), true),
                ("c/d/b".to_owned(), false)
            ]
        );
        // INBOX: messages move, UIDs there are not reused.
        store.deliver("ana", "INBOX", b"1", Flags::EMPTY).unwrap();
        store.rename_mailbox("ana", "INBOX", "old").unwrap();
        assert!(store.scan("ana", "INBOX").unwrap().messages.is_empty());
        assert_eq!(store.scan("ana", "old").unwrap().messages.len(), 1);
        assert_eq!(
            store.deliver("ana", "INBOX", b"2", Flags::EMPTY).unwrap(),
            2
        );
        store.subscribe("ana", "c/d/b", true).unwrap();
        store.subscribe("ana", "old", true).unwrap();
        store.subscribe("ana", "c/d/b", false).unwrap();
        assert_eq!(store.subscriptions("ana").unwrap(), vec!["old"]);
        fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn users_file() {
        let users = Users::parse("# demo\nalice:secret\nbob:pa:ss\n\n").unwrap();
        assert!(users.check("alice", "secret"));
        assert!(users.check("bob", "pa:ss"));
        assert_eq!(users.for_address("Alice@example.org"), Some("alice"));
        assert_eq!(users.for_address("carol@example.org"), None);
        assert!(Users::parse("no-colon\n").is_err());
        assert!(Users::parse("../x:y\n").is_err());
    }
}
